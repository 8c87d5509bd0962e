//! Which JSON-RPC namespaces a server answers (`--http.api`), as reth and geth select them: a method of
//! a namespace left out is "method not found", exactly as if the node had no such method.

use serde::{Deserialize, Serialize};
use std::{collections::BTreeSet, fmt, str::FromStr};

/// A JSON-RPC namespace: the part of a method name before its first `_`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RpcNamespace {
    /// `eth_*`, including `eth_subscribe`.
    Eth,
    /// `net_*`.
    Net,
    /// `web3_*`.
    Web3,
    /// `debug_*`: tracing and raw blocks (expensive: off unless named).
    Debug,
    /// `txpool_*`: the pool's content (reveals every pending transaction: off unless named).
    Txpool,
    /// `optimism_*`: sync status and output roots, what rollup tooling reads.
    Optimism,
    /// `bai_*`: models and health (`GET /health` answers `bai_health`).
    Bai,
    /// `evm_*`: block building on demand; only a `--dev` sequencer may serve it.
    Evm,
}

impl RpcNamespace {
    /// Every namespace, in the order `--http.api all` lists them.
    pub const ALL: [Self; 8] =
        [Self::Eth, Self::Net, Self::Web3, Self::Debug, Self::Txpool, Self::Optimism, Self::Bai, Self::Evm];

    /// The method-name prefix (`eth`, `net`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Eth => "eth",
            Self::Net => "net",
            Self::Web3 => "web3",
            Self::Debug => "debug",
            Self::Txpool => "txpool",
            Self::Optimism => "optimism",
            Self::Bai => "bai",
            Self::Evm => "evm",
        }
    }

    /// The namespace a method belongs to; `None` for a name with no known prefix.
    pub fn of_method(method: &str) -> Option<Self> {
        let prefix = method.split_once('_').map_or(method, |(prefix, _)| prefix);
        prefix.parse().ok()
    }
}

impl fmt::Display for RpcNamespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RpcNamespace {
    type Err = UnknownNamespace;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|n| n.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownNamespace(s.into()))
    }
}

/// A namespace name that is not one of [`RpcNamespace::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown RPC namespace `{0}` (known: eth, net, web3, debug, txpool, optimism, bai, evm, or all)")]
pub struct UnknownNamespace(pub String);

/// The namespaces a server answers: `eth,net,web3` style lists, or `all`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcApis(BTreeSet<RpcNamespace>);

impl RpcApis {
    /// What a public node serves unless told otherwise: the standard read/submit namespaces (reth's
    /// `eth,net,web3`) plus the rollup's own cheap, read-only `optimism` and `bai`.
    pub fn public() -> Self {
        Self::from_iter([
            RpcNamespace::Eth,
            RpcNamespace::Net,
            RpcNamespace::Web3,
            RpcNamespace::Optimism,
            RpcNamespace::Bai,
        ])
    }

    /// Every namespace (what a `--dev` node serves by default, as anvil does).
    pub fn all() -> Self {
        Self::from_iter(RpcNamespace::ALL)
    }

    /// Whether `namespace` is served.
    pub fn contains(&self, namespace: RpcNamespace) -> bool {
        self.0.contains(&namespace)
    }

    /// Whether a method of this name may be served: its namespace is selected.
    pub fn allows(&self, method: &str) -> bool {
        RpcNamespace::of_method(method).is_some_and(|n| self.contains(n))
    }

    /// The same set without `namespace`.
    pub fn without(mut self, namespace: RpcNamespace) -> Self {
        self.0.remove(&namespace);
        self
    }
}

impl FromIterator<RpcNamespace> for RpcApis {
    fn from_iter<T: IntoIterator<Item = RpcNamespace>>(iter: T) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl fmt::Display for RpcApis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<_> = self.0.iter().map(|n| n.as_str()).collect();
        f.write_str(&names.join(","))
    }
}

impl FromStr for RpcApis {
    type Err = UnknownNamespace;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim().eq_ignore_ascii_case("all") {
            return Ok(Self::all());
        }
        s.split(',').filter(|part| !part.trim().is_empty()).map(str::parse).collect()
    }
}

impl Serialize for RpcApis {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RpcApis {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lists_and_all() {
        let apis: RpcApis = "eth, net,WEB3".parse().unwrap();
        assert_eq!(apis.to_string(), "eth,net,web3");
        assert!(apis.allows("eth_call") && apis.allows("web3_clientVersion"));
        assert!(!apis.allows("debug_traceCall") && !apis.allows("evm_mine") && !apis.allows("nonamespace"));
        assert_eq!("all".parse::<RpcApis>().unwrap(), RpcApis::all());
        assert_eq!("eth,admin".parse::<RpcApis>(), Err(UnknownNamespace("admin".into())));
    }

    #[test]
    fn public_set_has_no_debug_txpool_or_evm() {
        let public = RpcApis::public();
        for hidden in [RpcNamespace::Debug, RpcNamespace::Txpool, RpcNamespace::Evm] {
            assert!(!public.contains(hidden), "{hidden}");
        }
        assert!(public.allows("eth_subscribe") && public.allows("bai_health") && public.allows("optimism_syncStatus"));
    }
}
