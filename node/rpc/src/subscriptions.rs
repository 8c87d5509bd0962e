//! `eth_subscribe` over WebSocket: `newHeads`, `logs` (with a filter) and `newPendingTransactions`.
//!
//! Each connection has a bounded backlog (`max_subscription_backlog` messages); a subscriber that lets
//! it fill and reads nothing for [`SLOW_CONSUMER_TIMEOUT`] loses the subscription, with the reason in
//! the closing notification, instead of the node buffering for it without end.

use crate::{RpcCtx, SLOW_CONSUMER_TIMEOUT, convert};
use alloy::rpc::types::{Filter, pubsub::SubscriptionKind};
use jsonrpsee::{
    PendingSubscriptionSink, RpcModule, SubscriptionMessage, core::server::SendTimeoutError, types::ErrorObjectOwned,
};
use tokio::sync::broadcast::error::RecvError;

pub(crate) fn register(module: &mut RpcModule<RpcCtx>) -> anyhow::Result<()> {
    module.register_subscription(
        "eth_subscribe",
        "eth_subscription",
        "eth_unsubscribe",
        |params, pending, ctx, _| async move {
            serve(params, pending, ctx).await.map_err(|e| jsonrpsee::core::SubscriptionError::from(e.to_string()))
        },
    )?;
    Ok(())
}

async fn serve(
    params: jsonrpsee::types::Params<'static>,
    pending: PendingSubscriptionSink,
    ctx: std::sync::Arc<RpcCtx>,
) -> anyhow::Result<()> {
    {
        let mut seq = params.sequence();
        let kind: SubscriptionKind = match seq.next() {
            Ok(kind) => kind,
            Err(e) => {
                pending.reject(ErrorObjectOwned::owned(-32602, e.message().to_string(), None::<()>)).await;
                return Ok(());
            }
        };
        // A filter that does not parse is refused: taking it as "no filter" would send every log.
        let filter: Option<Filter> = match seq.optional_next() {
            Ok(filter) => filter,
            Err(e) => {
                pending.reject(ErrorObjectOwned::owned(-32602, e.message().to_string(), None::<()>)).await;
                return Ok(());
            }
        };
        match kind {
            SubscriptionKind::NewHeads => {
                forward(pending, ctx.seq.subscribe_blocks(), |block| vec![convert::rpc_header(&block.block)]).await?
            }
            SubscriptionKind::Logs => {
                let filter = filter.unwrap_or_default();
                forward(pending, ctx.seq.subscribe_blocks(), |block| {
                    let logs = convert::block_logs(&block.block, &block.receipts);
                    logs.into_iter().filter(|log| filter.matches(&log.inner)).collect()
                })
                .await?
            }
            SubscriptionKind::NewPendingTransactions => {
                forward(pending, ctx.seq.pool().subscribe(), |hash| vec![*hash]).await?
            }
            other => {
                pending
                    .reject(ErrorObjectOwned::owned(-32602, format!("unsupported subscription {other:?}"), None::<()>))
                    .await;
            }
        }
    }
    Ok(())
}

/// Accepts the subscription and sends what `messages` makes of each broadcast item until the client
/// goes away or the broadcast closes; a lagging receiver skips what it missed.
async fn forward<T: Clone, M: serde::Serialize>(
    pending: PendingSubscriptionSink,
    mut items: tokio::sync::broadcast::Receiver<T>,
    messages: impl Fn(&T) -> Vec<M>,
) -> anyhow::Result<()> {
    let sink = pending.accept().await?;
    loop {
        tokio::select! {
            _ = sink.closed() => return Ok(()),
            item = items.recv() => match item {
                Ok(item) => {
                    for message in messages(&item) {
                        let message = SubscriptionMessage::new(sink.method_name(), sink.subscription_id(), &message)?;
                        match sink.send_timeout(message, SLOW_CONSUMER_TIMEOUT).await {
                            Ok(()) => {}
                            Err(SendTimeoutError::Closed(_)) => return Ok(()),
                            Err(SendTimeoutError::Timeout(_)) => {
                                metrics::counter!("bai_rpc_slow_subscribers_total").increment(1);
                                tracing::debug!(target: "rpc", "dropped a subscriber that stopped reading");
                                anyhow::bail!(
                                    "subscription dropped: the client read nothing for {}s while its backlog was full (slow consumer)",
                                    SLOW_CONSUMER_TIMEOUT.as_secs()
                                );
                            }
                        }
                    }
                }
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return Ok(()),
            }
        }
    }
}
