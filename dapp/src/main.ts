// Entry point: loads config.json, builds the clients, wires the wallet bar and the five sections.
import './style.css'
import { AccountSection } from './account'
import { CallsSection } from './calls'
import { makeChains } from './chains'
import { loadConfig, type DappConfig } from './config'
import { explain } from './errors'
import { ExplorerSection } from './explorer'
import { GovernanceSection } from './governance'
import { $, esc, shortHex, status } from './format'
import { ModelsSection } from './models'
import { Wallet } from './wallet'

function walletBar(cfg: DappConfig, wallet: Wallet): void {
  const info = $('#wallet-info')
  const st = $('#wallet-status')
  const render = () => {
    const names: Record<number, string> = { [cfg.l2.chainId]: cfg.l2.name }
    if (cfg.l1) names[cfg.l1.chainId] = cfg.l1.name
    if (!wallet.account) {
      info.textContent = window.ethereum ? 'Wallet not connected' : 'No wallet found'
      $('#connect').hidden = false
    } else {
      const chain = wallet.chainId === undefined ? '' : names[wallet.chainId] ?? `chain ${wallet.chainId}`
      info.innerHTML = `<span class="mono" title="${wallet.account}">${shortHex(wallet.account)}</span> on <strong data-chain-id="${wallet.chainId}">${esc(chain)}</strong> <span class="muted">(${wallet.chainId})</span>`
      $('#connect').hidden = true
    }
    $('#switch-l2').hidden = !wallet.account || wallet.chainId === cfg.l2.chainId
  }
  wallet.onChange(render)
  render()
  const run = (btn: string, fn: () => Promise<unknown>, done: () => string) => {
    $(btn).addEventListener('click', async () => {
      status(st, 'Waiting for the wallet…', 'busy')
      try {
        await fn()
        status(st, done(), 'ok')
      } catch (e) {
        status(st, explain(e), 'error')
      }
      render()
    })
  }
  run('#connect', () => wallet.connect(), () => `Connected ${wallet.account}.`)
  run('#add-l2', async () => {
    if (!wallet.account) await wallet.connect()
    await wallet.addL2()
  }, () => `${cfg.l2.name} (chain ${cfg.l2.chainId}, BAI) added to the wallet${wallet.chainId === cfg.l2.chainId ? ' and selected' : ''}.`)
  run('#switch-l2', () => wallet.switchTo(cfg.l2.chainId), () => `Switched to ${cfg.l2.name}.`)
}

async function main(): Promise<void> {
  let cfg: DappConfig
  try {
    cfg = await loadConfig()
  } catch (e) {
    status($('#config-status'), `Configuration error: ${explain(e)}`, 'error')
    return
  }
  $('#footer-config').textContent = `L2 ${cfg.l2.rpcUrl} (chain ${cfg.l2.chainId})${cfg.l1 ? ` · L1 ${cfg.l1.rpcUrl} (chain ${cfg.l1.chainId})` : ' · no L1 configured'} · config: ${cfg.source}`
  const chains = makeChains(cfg)
  const wallet = new Wallet(cfg)
  walletBar(cfg, wallet)

  const models = new ModelsSection(chains.l2Client, cfg)
  const calls = new CallsSection(cfg, chains, wallet)
  const account = new AccountSection(cfg, chains, wallet)
  const explorer = new ExplorerSection(cfg, chains)
  const governance = new GovernanceSection(cfg, chains, wallet)
  calls.init()
  account.init()
  explorer.init()
  governance.init()
  models.onLoaded((m) => calls.setModels(m))
  await models.load()
  document.body.dataset.ready = 'true'
}



void main()
