package io.spiffeoidc.reliability;

/**
 * One line of the results table: what was asserted, what happened, and how much traffic it took. A skipped
 * row could not be made meaningful on this machine (the observed text says why); it counts neither way.
 */
record Row(String scenario, String expected, String observed, long requests, long failures, boolean passed, boolean skipped) {

    Row(String scenario, String expected, String observed, long requests, long failures, boolean passed) {
        this(scenario, expected, observed, requests, failures, passed, false);
    }

    static Row of(String scenario, String expected, String observed, long requests, long failures) {
        return new Row(scenario, expected, observed, requests, failures, failures == 0);
    }

    static Row failed(String scenario, String expected, String observed) {
        return new Row(scenario, expected, observed, 0, 1, false);
    }

    static Row skipped(String scenario, String expected, String reason) {
        return new Row(scenario, expected, "skipped: " + reason, 0, 0, false, true);
    }

    String markdown() {
        return "| " + cell(scenario) + " | " + cell(expected) + " | " + cell(observed) + " | " + requests + " | "
                + failures + " | " + (skipped ? "skipped" : passed ? "pass" : "**FAIL**") + " |";
    }

    private static String cell(String text) {
        return text.replace("|", "\\|").replace("\n", " ");
    }
}
