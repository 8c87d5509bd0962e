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
                let mut blocks = ctx.seq.subscribe_blocks();
                let sink = pending.accept().await?;
                loop {
                    tokio::select! {
                        _ = sink.closed() => break,
                        block = blocks.recv() => match block {
                            Ok(block) => {
                                let header = convert::rpc_header(&block.block);
                                let msg = SubscriptionMessage::new(sink.method_name(), sink.subscription_id(), &header)?;
                                if sink.send(msg).await.is_err() { break }
                            }
                            Err(RecvError::Lagged(_)) => continue,
                            Err(RecvError::Closed) => break,
                        }
                    }
                }
            }
            SubscriptionKind::Logs => {
                let filter = filter.unwrap_or_default();
                let mut blocks = ctx.seq.subscribe_blocks();
                let sink = pending.accept().await?;
                loop {
                    tokio::select! {
                        _ = sink.closed() => break,
                        block = blocks.recv() => match block {
                            Ok(block) => {
                                for log in convert::block_logs(&block.block, &block.receipts) {
                                    if !filter.matches(&log.inner) { continue }
                                    let msg = SubscriptionMessage::new(sink.method_name(), sink.subscription_id(), &log)?;
                                    if sink.send(msg).await.is_err() { return Ok(()) }
                                }
                            }
                            Err(RecvError::Lagged(_)) => continue,
                            Err(RecvError::Closed) => break,
                        }
                    }
                }
            }
            SubscriptionKind::NewPendingTransactions => {
                let mut hashes = ctx.seq.pool().subscribe();
                let sink = pending.accept().await?;
                loop {
                    tokio::select! {
                        _ = sink.closed() => break,
                        hash = hashes.recv() => match hash {
                            Ok(hash) => {
                                let msg = SubscriptionMessage::new(sink.method_name(), sink.subscription_id(), &hash)?;
                                if sink.send(msg).await.is_err() { break }
                            }
                            Err(RecvError::Lagged(_)) => continue,
                            Err(RecvError::Closed) => break,
                        }
                    }
                }
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
