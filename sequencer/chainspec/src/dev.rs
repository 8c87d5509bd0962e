//! Dev accounts: the first ten accounts of the standard test mnemonic, as anvil and hardhat print
//! them, so every tutorial and tool default works unchanged.

use alloy::{
    primitives::{Address, B256, U256, b256, uint},
    signers::local::PrivateKeySigner,
};

/// The mnemonic anvil, hardhat and Foundry tutorials use.
pub const DEV_MNEMONIC: &str = "test test test test test test test test test test test junk";

/// Balance of each dev account at genesis: 10,000 BAI.
pub const DEV_BALANCE: U256 = uint!(10_000_000_000_000_000_000_000_U256);

/// Private keys of `m/44'/60'/0'/0/{0..9}` for [`DEV_MNEMONIC`]. Hard-coded because deriving them
/// (PBKDF2 with 2048 rounds each) slows every start; a test re-derives them from the mnemonic.
const DEV_KEYS: [B256; 10] = [
    b256!("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"),
    b256!("59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"),
    b256!("5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"),
    b256!("7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6"),
    b256!("47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a"),
    b256!("8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba"),
    b256!("92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e"),
    b256!("4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356"),
    b256!("dbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97"),
    b256!("2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6"),
];

/// A funded dev account.
#[derive(Debug, Clone)]
pub struct DevAccount {
    /// The account's address, derived from its key.
    pub address: Address,
    /// The account's secp256k1 private key.
    pub private_key: B256,
}

impl DevAccount {
    /// A signer for this account's key, to sign dev transactions with.
    pub fn signer(&self) -> PrivateKeySigner {
        PrivateKeySigner::from_bytes(&self.private_key).expect("dev keys are valid")
    }
}

/// The ten dev accounts, in mnemonic index order.
pub fn dev_accounts() -> Vec<DevAccount> {
    DEV_KEYS
        .iter()
        .map(|key| {
            let signer = PrivateKeySigner::from_bytes(key).expect("dev keys are valid");
            DevAccount { address: signer.address(), private_key: *key }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::signers::local::{MnemonicBuilder, coins_bip39::English};

    #[test]
    fn dev_keys_match_the_test_mnemonic() {
        for (index, account) in dev_accounts().iter().enumerate() {
            let derived = MnemonicBuilder::<English>::default()
                .phrase(DEV_MNEMONIC)
                .index(index as u32)
                .unwrap()
                .build()
                .unwrap();
            assert_eq!(derived.address(), account.address, "account {index}");
        }
        assert_eq!(dev_accounts()[0].address, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266".parse::<Address>().unwrap());
    }

    #[test]
    fn dev_balance_is_ten_thousand_bai() {
        assert_eq!(DEV_BALANCE, U256::from(10_000u64) * U256::from(10u64).pow(U256::from(18)));
    }
}
