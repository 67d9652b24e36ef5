"""The one-tap alert: to the first support person who can take it, then on to the next
when nobody answers in time (or says they can't), then crisis lines. Every step is stored
before it is sent, so a restart or a second process never loses or repeats an escalation
beyond a send that was in flight."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.error import Forbidden, TelegramError

from bot.handlers import reachability
from bot.handlers.common import Context, catalog, load_user, reply, svc, user_id_of
from bot.handlers.support.common import TRY_WINDOW, App, fallback, fallback_rows, notice_text, tell
from bot.keyboards import button, cb, inline
from content import Catalog
from storage.models import Alert, Supporter, User
from storage.repositories import alerts, episodes, supporters, users

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)  # a step being sent; after this the tick takes it up again
STALE = timedelta(hours=2)  # an alert that could not go out for this long stops trying
REPEAT_WINDOW = timedelta(minutes=2)  # at most one new alert per person in this time
ANSWERS = ("call", "message", "cant")
OUTAGE_PROBE = 3  # failed sends in a row after which a tick stops trying more alerts


@dataclass
class Target:
    supporter_id: int
    chat_id: int
    name: str
    phone: str | None


@dataclass
class Step:
    """What one advance of an alert did, for telling the person."""

    sent: Target | None = None
    previous: str | None = None  # who it moved on from
    unreachable: list[str] = field(default_factory=list)
    exhausted: bool = False
    tried_any: bool = False
    retry_later: bool = False


def escalate_after(app: App) -> timedelta:
    return timedelta(minutes=app.bot_data["services"].settings.alert_escalation_minutes)


def alert_message(t: Catalog, person: User | None, person_name: str, delivery_id: int,
                  ) -> tuple[str, Any]:
    key = "support.alert_neutral" if person is not None and person.alert_neutral else (
        "support.alert_plain")
    return t.t(key, person=person_name), inline([
        [button(t.t("support.answer.call"), cb("ans", str(delivery_id), "call"))],
        [button(t.t("support.answer.message"), cb("ans", str(delivery_id), "message"))],
        [button(t.t("support.answer.cant"), cb("ans", str(delivery_id), "cant"))],
    ])


async def advance(app: App, alert_id: int, *, due: bool = False,
                  after_delivery: int | None = None) -> Step | None:
    """Send the alert to whoever is next. `due`: only when its time has come (the tick);
    `after_delivery`: only when that delivery is still the newest (a "can't" answer).
    None when there was nothing for this caller to do."""
    s = app.bot_data["services"]
    step = Step()
    first = True
    while True:
        async with s.db.session() as session:
            alert = await alerts.locked(session, alert_id)
            if alert is None or alert.status != alerts.OPEN:
                return step if not first else None
            now = s.clock.now()
            sent_so_far = await alerts.deliveries(session, alert_id)
            last = sent_so_far[-1] if sent_so_far else None
            if first and due and (alert.escalate_at is None or alert.escalate_at > now):
                return None
            if first and after_delivery is not None and (last is None or last.id != after_delivery):
                return None
            first = False
            person = await users.get(session, alert.user_id)
            if person is None:
                return None
            if now - alert.created_at > STALE:
                alert.status, alert.escalate_at = alerts.EXHAUSTED, None
                log.warning("alert gave up after trying for %s", STALE)
                return None
            step.tried_any = step.tried_any or any(d.sent_at is not None for d in sent_so_far)
            candidates = await supporters.alertable(session, alert.user_id, now)
            by_id = {c.id: c for c in candidates}
            target: Supporter | None = None
            delivery = None
            if (last is not None and last.sent_at is None and not last.failed
                    and last.answer is None and last.supporter_id in by_id):
                target, delivery = by_id[last.supporter_id], last  # a send that didn't go out
            else:
                if (last is not None and last.supporter_id is not None and not last.failed
                        and step.previous is None):
                    gone = await session.get(Supporter, last.supporter_id)
                    step.previous = gone.name if gone is not None else None
                tried = {d.supporter_id for d in sent_so_far}
                target = next((c for c in candidates if c.id not in tried), None)
                if target is None:
                    alert.status, alert.escalate_at = alerts.EXHAUSTED, None
                    step.exhausted = True
                    return step
                delivery = await alerts.add_delivery(session, alert, target.id, now)
            alert.escalate_at = now + LEASE
            alert.attempts += 1
            assert target.supporter_chat_id is not None
            chosen = Target(target.id, target.supporter_chat_id, target.name, target.phone)
            t = s.catalog(person.locale)
            text, markup = alert_message(t, person, target.person_name, delivery.id)
            delivery_id = delivery.id
        try:
            await app.bot.send_message(chosen.chat_id, text, reply_markup=markup)
        except Forbidden:
            async with s.db.session() as session:
                row = await session.get(Supporter, chosen.supporter_id)
                if row is not None:
                    row.unreachable = True
                failed = await alerts.delivery(session, delivery_id)
                if failed is not None:
                    failed.failed = True
            reachability.forget(app, [chosen.chat_id])
            step.unreachable.append(chosen.name)
            continue
        except TelegramError as exc:
            log.warning("alert send failed (%s); the tick retries", type(exc).__name__)
            step.retry_later = True
            return step
        async with s.db.session() as session:
            done = await alerts.delivery(session, delivery_id)
            if done is not None:
                done.sent_at = s.clock.now()
            alert = await alerts.locked(session, alert_id, skip=False)
            if alert is not None and alert.status == alerts.OPEN:
                alert.escalate_at = s.clock.now() + escalate_after(app)
        step.sent = chosen
        return step


# --- telling the person -----------------------------------------------------------------------
async def _next_name(app: App, user_id: int, after: int) -> str | None:
    s = app.bot_data["services"]
    async with s.db.session() as session:
        rows = await supporters.alertable(session, user_id, s.clock.now())
    ids = [r.id for r in rows]
    if after in ids and ids.index(after) + 1 < len(ids):
        return rows[ids.index(after) + 1].name
    return None


async def tell_person(app: App, person: User, step: Step, *, why: str = "quiet",
                      tapped: bool = False) -> None:
    """What happened to their alert, in plain words, with a way forward each time."""
    s = app.bot_data["services"]
    t = s.catalog(person.locale)
    for name in step.unreachable:
        await tell(app, person.id, notice_text(t, person, "support.told_unreachable", name=name))
    if step.sent is not None:
        target = step.sent
        if step.previous is not None and not tapped:
            key = "support.escalated_cant" if why == "cant" else "support.escalated_quiet"
            text = notice_text(t, person, key, name=step.previous, next=target.name)
        else:
            text = t.t("support.sent_to_phone" if target.phone else "support.sent_to",
                       name=target.name)
        nxt = await _next_name(app, person.id, target.supporter_id)
        if nxt is not None:
            text += "\n" + t.t("support.also_try", name=target.name, next=nxt,
                               minutes=f"{s.settings.alert_escalation_minutes:g}")
        await tell(app, person.id, text, inline(fallback_rows(t, invite=False)[-1:]))
        if target.phone:
            try:
                await app.bot.send_contact(person.id, phone_number=target.phone,
                                           first_name=target.name)
            except TelegramError as exc:
                log.warning("contact card not delivered: %s", type(exc).__name__)
    elif step.exhausted:
        key = "support.exhausted" if step.tried_any or step.unreachable else (
            "support.none_available")
        await tell(app, person.id, notice_text(t, person, key), fallback(t, invite=True))
    elif step.retry_later and tapped:
        await tell(app, person.id, t.t("support.retrying"), fallback(t, invite=False))


# --- the tap -------------------------------------------------------------------------------------
async def send_alert(update: Update, context: Context) -> None:
    """The one tap: from the craving menu, a slip, a crisis answer, or /alert."""
    user = await load_user(context, user_id_of(update))
    t = catalog(context, user, update)
    if user is None:
        await reply(update, context, t.t("support.no_supporters"), fallback(t, invite=False))
        return
    s = svc(context)
    now = s.clock.now()
    async with s.db.session() as session:
        [latest_episode] = (await episodes.history(session, user.id, limit=1)) or [None]
        if latest_episode is not None and latest_episode.ended_at is None:
            episodes.add_tried(latest_episode, "support")
        links = await supporters.for_person(session, user.id)
        previous = await alerts.latest(session, user.id)
        recent = previous is not None and now - previous.created_at < REPEAT_WINDOW
        names: list[str] = []
        if recent and previous is not None:
            by_id = {r.id: r.name for r in links}
            names = [by_id[d.supporter_id] for d in await alerts.deliveries(session, previous.id)
                     if d.sent_at is not None and d.supporter_id in by_id]
        alert_id = None
        if not recent and any(r.status == supporters.ACTIVE for r in links):
            alert = await alerts.create(session, user.id, now)
            alert.escalate_at = now + LEASE  # the tick retries if this process dies mid-send
            alert_id = alert.id
    if recent:
        text = (t.t("support.just_sent", names=", ".join(names)) if names
                else t.t("support.just_sent_none"))
        await reply(update, context, text, fallback(t, invite=False))
        return
    if not links:
        await reply(update, context, t.t("support.no_supporters"), fallback(t, invite=True))
        return
    if alert_id is None:
        await reply(update, context, t.t("support.none_available"), fallback(t, invite=True))
        return
    step = await advance(context.application, alert_id)
    await tell_person(context.application, user, step or Step(exhausted=True), tapped=True)


# --- a support person answers ------------------------------------------------------------------
async def on_answer(update: Update, context: Context, args: list[str]) -> bool:
    """`ans:<delivery>:<call|message|cant>` from the support person it was sent to."""
    query = update.callback_query
    assert query is not None
    if len(args) != 2 or not args[0].isdigit() or args[1] not in ANSWERS:
        return False
    s = svc(context)
    chat_id = user_id_of(update)
    async with s.db.session() as session:
        delivery = await alerts.delivery(session, int(args[0]))
        link = (await session.get(Supporter, delivery.supporter_id)
                if delivery is not None and delivery.supporter_id is not None else None)
        if (delivery is None or link is None or link.supporter_chat_id != chat_id
                or link.status != supporters.ACTIVE or delivery.answer is not None
                or delivery.sent_at is None):
            return False
        delivery.answer, delivery.answered_at = args[1], s.clock.now()
        link.unreachable = False
        alert = await session.get(Alert, delivery.alert_id)
        if args[1] != "cant" and alert is not None and alert.status == alerts.OPEN:
            alert.status, alert.escalate_at = alerts.ANSWERED, None
        person = await users.get(session, delivery.user_id)
        name, alert_id, delivery_id = link.name, delivery.alert_id, delivery.id
    t = s.catalog(person.locale if person is not None else None)
    await query.answer()
    message = query.message
    original = getattr(message, "text_html", None) or ""
    try:
        await query.edit_message_text(f"{original}\n\n{t.t(f'support.answered.{args[1]}')}",
                                      reply_markup=None)
    except TelegramError as exc:
        log.warning("could not mark the alert answered: %s", type(exc).__name__)
    if person is None:
        return True
    app = context.application
    key = {"call": "support.person_call", "message": "support.person_message",
           "cant": "support.person_cant"}[args[1]]
    if args[1] != "cant":
        await tell(app, person.id, notice_text(t, person, key, name=name))
        return True
    step = await advance(app, alert_id, after_delivery=delivery_id)
    if step is None or (step.sent is None and not step.exhausted and not step.unreachable):
        await tell(app, person.id, notice_text(t, person, key, name=name))
        return True
    await tell_person(app, person, step, why="cant")
    return True


# --- the tick -------------------------------------------------------------------------------------
async def escalation_work(app: App) -> int:
    """Alerts whose time has come: nobody answered, or a send is to be retried."""
    s = app.bot_data["services"]
    async with s.db.session() as session:
        due = await alerts.due_ids(session, s.clock.now())
        await supporters.prune_attempts(session, s.clock.now() - TRY_WINDOW)
    acted = failures = 0
    for alert_id in due:
        if failures >= OUTAGE_PROBE:  # the API looks unreachable: the rest wait a tick
            break
        step = await advance(app, alert_id, due=True)
        if step is None:
            continue
        failures = failures + 1 if step.retry_later and step.sent is None else 0
        acted += 1
        async with s.db.session() as session:
            alert = await session.get(Alert, alert_id)
            person = await users.get(session, alert.user_id) if alert is not None else None
        if person is not None and (step.sent is not None or step.exhausted or step.unreachable):
            await tell_person(app, person, step)
    return acted
