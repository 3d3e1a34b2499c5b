"""Sends each wallet's events to its channel group, where walletEvents subscriptions listen."""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


def push_to_wallets(event: dict) -> None:
    layer = get_channel_layer()
    for wallet_id in sorted({entry["wallet_id"] for entry in event["entries"]} | {event["sender_wallet_id"]}):
        async_to_sync(layer.group_send)(f"wallet.{wallet_id}", {"type": "wallet.event", "event": event})
