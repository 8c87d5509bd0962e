//! `eth_subscribe` over WebSocket: `newHeads`, `logs` (with a filter) and `newPendingTransactions`.

use crate::{RpcCtx, convert};
use alloy::rpc::types::{Filter, pubsub::SubscriptionKind};
use jsonrpsee::{PendingSubscriptionSink, RpcModule, SubscriptionMessage, types::ErrorObjectOwned};
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
        let filter: Option<Filter> = seq.optional_next().unwrap_or(None);
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
                        if sink.send(message).await.is_err() {
                            return Ok(());
                        }
                    }
                }
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return Ok(()),
            }
        }
    }
}
