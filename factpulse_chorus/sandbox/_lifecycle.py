"""The life-cycle engine: a simulated clock, status changes and what the platform does next.

Time is simulated (:class:`SimClock`). Automatic transitions (platform routing, simulated
recipients) are *planned* with their due times when an invoice enters a state, and applied
lazily whenever the invoice is read or listed (:meth:`Lifecycle.settle`), so there is no
background task and no sleep: a fast clock (or :meth:`SimClock.advance`) moves thousands of
invoices in an instant. All randomness comes from RNGs seeded by ``(seed, invoice id, plan
number)``, so a seed replays exactly.
"""

from __future__ import annotations

import math
import random
import time
from datetime import datetime

from ._records import PAYMENT_RANK, SANDBOX_TZ, Invoice, Options

__all__ = ["Lifecycle", "SimClock"]

_PLATFORM_REJECT_REASONS = (
    "Rejet plateforme : SIRET du destinataire incoherent avec les donnees de la facture",
    "Rejet plateforme : fichier de facture illisible",
    "Rejet plateforme : doublon de facture detecte",
)
_AUTO_REJECT_REASONS = (
    "Facture non conforme au bon de commande",
    "Montant facture superieur a l'engagement juridique",
    "Prestation non realisee",
)
_AUTO_SUSPEND_REASONS = (
    "Bon de livraison manquant",
    "Bon de commande signe manquant",
    "Coordonnees bancaires a confirmer",
)


class SimClock:
    """Simulated clock: sim_now = start + (monotonic()-t0)*speed + manual offset.

    ``speed`` may be changed at any time (time stays continuous); ``speed=0`` freezes the
    clock, which with :meth:`advance` gives fully reproducible timestamps.
    """

    def __init__(self, *, speed: float = 1.0, start: datetime | None = None) -> None:
        if speed < 0:
            raise ValueError("speed must be >= 0")
        if start is None:
            start = datetime.now(SANDBOX_TZ).replace(microsecond=0)
        elif start.tzinfo is None:
            start = start.replace(tzinfo=SANDBOX_TZ)
        self._start = start
        self._start_ts = start.timestamp()
        self._speed = float(speed)
        self._t0 = time.monotonic()
        self._base = 0.0  # simulated seconds accrued before _t0 (earlier speeds + advances)

    @property
    def start(self) -> datetime:
        """Simulated time at creation."""
        return self._start

    @property
    def speed(self) -> float:
        """Simulated seconds per real second."""
        return self._speed

    @speed.setter
    def speed(self, value: float) -> None:
        if value < 0:
            raise ValueError("speed must be >= 0")
        now = time.monotonic()
        self._base += (now - self._t0) * self._speed
        self._t0 = now
        self._speed = float(value)

    def elapsed(self) -> float:
        """Simulated seconds since :attr:`start`."""
        return self._base + (time.monotonic() - self._t0) * self._speed

    def timestamp(self) -> float:
        """Simulated now as a POSIX timestamp (the cheap form used on hot paths)."""
        return self._start_ts + self._base + (time.monotonic() - self._t0) * self._speed

    def now(self) -> datetime:
        """Simulated now, timezone-aware (``+01:00``)."""
        return datetime.fromtimestamp(self.timestamp(), SANDBOX_TZ)

    def advance(self, seconds: float) -> None:
        """Jump forward by ``seconds`` of simulated time (never backwards)."""
        if seconds < 0 or math.isnan(seconds):
            raise ValueError("seconds must be >= 0")
        self._base += seconds


class Lifecycle:
    """Status changes of invoices and the transitions planned after each one.

    Of the options: ``routing_delay`` and ``auto_process_delay`` are simulated seconds per
    step; ``platform_reject_rate`` is the share of deposits the platform rejects while
    routing; with ``auto_process`` simulated recipients reject (``auto_reject_rate``),
    suspend once (``auto_suspend_rate``) or walk the payment path.
    """

    def __init__(self, seed: int, options: Options) -> None:
        self.seed = seed
        self.options = options

    @staticmethod
    def apply(
        invoice: Invoice, code: str, ts: float, comment: str | None, actor: str, login: str | None
    ) -> None:
        """Put ``invoice`` in status ``code`` and write it in the history (no planning)."""
        invoice.status = code
        invoice.status_ts = ts
        invoice.status_comment = comment
        invoice.history.append((code, ts, comment, actor, login))
        if code == "MISE_A_DISPOSITION":
            invoice.delivered = True

    def transition(
        self,
        invoice: Invoice,
        code: str,
        now: float,
        comment: str | None,
        actor: str,
        login: str | None,
    ) -> None:
        """A state change made by a caller: it overrides whatever was planned."""
        invoice.plan.clear()
        self.apply(invoice, code, now, comment, actor, login)
        self.plan_next(invoice, now)

    def settle(self, invoice: Invoice, now: float) -> None:
        """Apply every planned transition that is due (the lazy clock)."""
        plan = invoice.plan
        while plan and plan[0][0] <= now:
            ts, code, comment, actor = plan.popleft()
            self.apply(invoice, code, ts, comment, actor, None)
            if not plan:
                self.plan_next(invoice, ts)

    def plan_next(self, invoice: Invoice, start: float) -> None:
        """Plan what the platform (or a simulated recipient) does next from this state."""
        status = invoice.status
        if status == "DEPOSEE":
            self._plan_routing(invoice, start)
        elif self.options.auto_process and status in PAYMENT_RANK and status != "MISE_EN_PAIEMENT":
            self._plan_recipient(invoice, start)

    def _rng(self, invoice: Invoice) -> random.Random:
        invoice.plan_count += 1
        return random.Random(
            f"factpulse-sandbox:{self.seed}:{invoice.invoice_id}:{invoice.plan_count}"
        )

    def _plan_routing(self, invoice: Invoice, start: float) -> None:
        rng = self._rng(invoice)
        first = start + rng.uniform(*self.options.routing_delay)
        second = first + rng.uniform(*self.options.routing_delay)
        draw = rng.random()
        reason = rng.choice(_PLATFORM_REJECT_REASONS)
        invoice.plan.append((first, "EN_COURS_ACHEMINEMENT", None, "platform"))
        if draw < self.options.platform_reject_rate:
            invoice.plan.append((second, "REJETEE", reason, "platform"))
        else:
            invoice.plan.append((second, "MISE_A_DISPOSITION", None, "platform"))

    def _plan_recipient(self, invoice: Invoice, start: float) -> None:
        """Simulated recipient: reject, suspend (once) or walk the payment path."""
        rng = self._rng(invoice)
        rank = PAYMENT_RANK[invoice.status]
        when = start + rng.uniform(*self.options.auto_process_delay)
        if rank == 1 and not invoice.auto_suspended:
            draw = rng.random()
            if draw < self.options.auto_reject_rate:
                reason = rng.choice(_AUTO_REJECT_REASONS)
                invoice.plan.append((when, "REJETEE", reason, "recipient"))
                return
            if draw < self.options.auto_reject_rate + self.options.auto_suspend_rate:
                invoice.auto_suspended = True  # suspend at most once, so every path ends
                reason = rng.choice(_AUTO_SUSPEND_REASONS)
                invoice.plan.append((when, "SUSPENDUE", reason, "recipient"))
                return
        steps = ["SERVICE-FAIT", "MANDATEE", "MISE_EN_PAIEMENT"]
        if rng.random() < 0.5:
            steps.insert(0, "PRISE_EN_COMPTE_DESTINATAIRE")
        if rng.random() < 0.5:
            steps.insert(-1, "MISE_A_DISPOSITION_COMPTABLE")
        if rng.random() < 0.5:
            steps.insert(-1, "COMPTABILISEE")
        for step in steps:
            if PAYMENT_RANK[step] > rank:
                invoice.plan.append((when, step, None, "recipient"))
                when += rng.uniform(*self.options.auto_process_delay)
