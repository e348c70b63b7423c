"""Under a burst a fast command does not queue its answer inside the
acknowledgement: with INLINE_ANSWERS answers already being computed in
acks, the next command acks "Working on it…" at once and gets its answer
through the response_url, so it can never miss Slack's 3 seconds."""

import threading
from concurrent.futures import ThreadPoolExecutor

import bot.listeners.command as listener
from bench.slack_fake import REP


def test_a_command_arriving_while_acks_are_busy_acks_at_once_and_answers_after(sender, slack, monkeypatch):
    real_answer = listener.answer
    inside, release = threading.Semaphore(0), threading.Event()

    def answer(ctx, asked, **options):
        text = asked if isinstance(asked, str) else asked.text  # the ack passes the Request it read
        if text == "crr last-quarter" and not release.is_set():
            inside.release()
            assert release.wait(30)
        return real_answer(ctx, asked, **options)

    monkeypatch.setattr(listener, "answer", answer)
    with ThreadPoolExecutor(listener.INLINE_ANSWERS) as pool:
        held = [pool.submit(sender.command, "crr last-quarter", user_id=REP) for _ in range(listener.INLINE_ANSWERS)]
        for _ in held:
            assert inside.acquire(timeout=30)  # every inline slot is computing an answer
        reply = sender.command("kpis last-quarter", user_id=REP, response_tag="burst")
        assert reply.status == 200 and reply.json["text"] == listener.WORKING
        [later] = slack.wait_for("response_url", where=lambda c: c.params.get("tag") == "burst")
        assert later.params["text"].startswith("Retention KPIs")
        release.set()
        for future in held:
            answered = future.result(30)
            assert answered.status == 200 and answered.json["text"].startswith("Customer retention")
    fresh = sender.command("kpis last-quarter", user_id=REP)  # the slots are free again: answered in the ack
    assert fresh.json["text"].startswith("Retention KPIs")
