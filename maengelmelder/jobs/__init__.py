"""The one place that knows how jobs run: rq on Redis, or an in-process thread without it.

Jobs are plain module-level functions that take ids and values, never ORM objects. Callers
hand over the function itself (`enqueue(send_pending, …)`); it is checked to be importable by
its dotted path then and there (a lambda or a nested function fails at once, in tests, not as
a log line in production), and only that path travels, so rq pickles only strings. The worker
(rq or the thread) provides the app context around each job. Recurring work is declared as
data: each feature adds its `Recurring` entries in its `init_app` (`add_recurring`), and every
job is safe to run twice: it compares state before acting.

Without Redis, each serving process starts its runner thread when it starts (`start_runner`,
called by `serve` in every gunicorn worker), not when a request first queues a job: a
restarted server with only read traffic still sends due mails and escalates breaches. The
runner runs the recurring schedule from its first minute; which process runs each due job is
decided in the database (`claim_run`: one conditional UPDATE of the job's row in
`recurring_runs`), so of several processes exactly one runs it, and a daily job at a fixed time
of day that was missed (the server was down at 03:00) runs as soon as one starts.

The modules, by concern: `calls` (what a job is and how it travels), `recurring` (the
schedule and the database claim), `dispatch` (`enqueue`: to rq or to the thread), `inprocess`
(the runner threads without Redis), `redis_queue` (rq's queues and `maengelmelder worker`).
Everything is imported from here.
"""

from .calls import QUEUE_NAME, RUN, SLOW_QUEUE, Call, Job, job_path, resolve, run
from .dispatch import enqueue, enqueue_all
from .inprocess import Runner, runner, runner_started, start_runner, stop_runners
from .recurring import Recurring, RecurringRun, add_recurring, claim_run, schedule
from .redis_queue import ensure_recurring, queue, redis_connection, work

__all__ = [
    "QUEUE_NAME",
    "RUN",
    "SLOW_QUEUE",
    "Call",
    "Job",
    "Recurring",
    "RecurringRun",
    "Runner",
    "add_recurring",
    "claim_run",
    "enqueue",
    "enqueue_all",
    "ensure_recurring",
    "job_path",
    "queue",
    "redis_connection",
    "resolve",
    "run",
    "runner",
    "runner_started",
    "schedule",
    "start_runner",
    "stop_runners",
    "work",
]
