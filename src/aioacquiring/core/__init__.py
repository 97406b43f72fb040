"""Provider-neutral machinery: transport, retries, idempotency, pagination, serde, errors.

Nothing here imports a provider package; providers plug in through the hooks of
:class:`aioacquiring.core.client.BaseClient`.
"""
