package io.spiffeoidc.spire;

/** Readiness and liveness as the health listener serves them: status code and JSON body. */
interface HealthAnswers {

    record Answer(boolean up, String body) {
    }

    Answer readiness();

    Answer liveness();

    /** Before the service has started and after it began to stop: alive, not ready. */
    HealthAnswers NOT_STARTED = new HealthAnswers() {
        private final Answer down = new Answer(false, "{\"status\":\"DOWN\",\"checks\":[]}");
        private final Answer up = new Answer(true, "{\"status\":\"UP\",\"checks\":[]}");

        @Override
        public Answer readiness() {
            return down;
        }

        @Override
        public Answer liveness() {
            return up;
        }
    };
}
