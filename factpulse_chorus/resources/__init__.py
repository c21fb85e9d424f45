"""The sub-clients of :class:`~factpulse_chorus.AsyncChorusClient`, one module per group."""
