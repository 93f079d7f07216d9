package io.spiffeoidc.reliability;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * One injected fault against a running service: a watch checks that the last good keys are served with
 * 200 throughout, readiness is polled while the fault holds, then the source is repaired and the time until
 * the new keys are served and readiness is UP again is measured.
 */
final class FaultStep {

    interface Action {
        void run() throws Exception;
    }

    /** Repairs the source so that {@code version} becomes servable; returns System.nanoTime() when the source was back. */
    interface Recovery {
        long run(Watch watch, int version) throws Exception;
    }

    String scenario;
    String expected;
    Action inject;
    Duration hold = Duration.ofSeconds(2);
    boolean expectDown;
    Duration downNotBefore = Duration.ofMillis(4500);
    Supplier<String> duringCheck;
    Recovery recovery;
    Duration target = Duration.ofSeconds(6);

    static FaultStep named(String scenario, String expected) {
        FaultStep step = new FaultStep();
        step.scenario = scenario;
        step.expected = expected;
        return step;
    }

    FaultStep inject(Action action) {
        this.inject = action;
        return this;
    }

    FaultStep hold(Duration duration, boolean down) {
        this.hold = duration;
        this.expectDown = down;
        return this;
    }

    FaultStep during(Supplier<String> check) {
        this.duringCheck = check;
        return this;
    }

    FaultStep recover(Recovery action, Duration within) {
        this.recovery = action;
        this.target = within;
        return this;
    }

    /** Runs the step with {@code good} as the version being served and {@code next} as the one recovery brings. */
    Row run(ServiceProcess service, Versions versions, int good, int next) {
        List<String> problems = new ArrayList<>();
        long requests = 0;
        StringBuilder observed = new StringBuilder();
        try {
            long readyBefore = awaitReady(service, Duration.ofSeconds(20));
            requests += 1;
            if (readyBefore < 0) {
                problems.add("not ready before the fault");
            }
            try (Watch watch = new Watch(service, versions, good)) {
                long t0 = System.nanoTime();
                inject.run();
                long downAt = -1;
                boolean everDown = false;
                while (System.nanoTime() - t0 < hold.toNanos()) {
                    ServiceProcess.Health health = service.health();
                    requests++;
                    if (health.down() && downAt < 0) {
                        downAt = System.nanoTime();
                        everDown = true;
                    }
                    Thread.sleep(200);
                }
                String extra = duringCheck == null ? null : duringCheck.get();
                if (extra != null) {
                    problems.add(extra);
                }
                long back = recovery.run(watch, next);
                long seen = watch.awaitVersion(next, Duration.ofSeconds(30));
                long readyAt = awaitReady(service, Duration.ofSeconds(30));
                requests += watch.requests();
                if (watch.failures() > 0) {
                    problems.add(watch.failures() + " bad /keys answers during the fault, e.g. " + watch.problems());
                }
                observed.append("last good keys served with 200 in ").append(watch.requests() - watch.failures())
                        .append("/").append(watch.requests()).append(" requests; ");
                if (expectDown) {
                    if (!everDown) {
                        problems.add("readiness never DOWN within " + seconds(hold.toNanos()));
                        observed.append("readiness stayed UP; ");
                    } else {
                        long after = downAt - t0;
                        observed.append("readiness DOWN ").append(seconds(after)).append(" after the fault; ");
                        if (after < downNotBefore.toNanos()) {
                            problems.add("readiness DOWN before the staleness threshold (" + seconds(after) + ")");
                        }
                    }
                } else {
                    observed.append(everDown ? "readiness went DOWN; " : "readiness stayed UP; ");
                }
                if (seen < 0) {
                    problems.add("the new keys were never served");
                } else if (readyAt < 0) {
                    problems.add("readiness never UP again");
                } else {
                    long recovered = Math.max(seen, readyAt) - back;
                    observed.append("recovered ").append(seconds(Math.max(0, recovered)))
                            .append(" after the source was back (new keys ").append(seconds(Math.max(0, seen - back)))
                            .append(", ready ").append(seconds(Math.max(0, readyAt - back))).append(")");
                    if (recovered > target.toNanos()) {
                        problems.add("recovery took longer than " + seconds(target.toNanos()));
                    }
                }
            }
        } catch (Exception e) {
            problems.add("step aborted: " + e);
        }
        if (!problems.isEmpty()) {
            observed.append(observed.length() > 0 ? ". " : "").append("PROBLEMS: ").append(String.join("; ", problems));
        }
        return new Row(scenario, expected, observed.toString(), requests, problems.size(), problems.isEmpty());
    }

    /** System.nanoTime() when readiness was UP, or -1 after the timeout. */
    static long awaitReady(ServiceProcess service, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (service.health().up()) {
                return System.nanoTime();
            }
            Thread.sleep(100);
        }
        return -1;
    }

    static String seconds(long nanos) {
        return String.format(java.util.Locale.ROOT, "%.1f s", nanos / 1e9);
    }
}
