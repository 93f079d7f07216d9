package io.spiffeoidc.reliability;

/** One line of the results table: what was asserted, what happened, and how much traffic it took. */
record Row(String scenario, String expected, String observed, long requests, long failures, boolean passed) {

    static Row of(String scenario, String expected, String observed, long requests, long failures) {
        return new Row(scenario, expected, observed, requests, failures, failures == 0);
    }

    static Row failed(String scenario, String expected, String observed) {
        return new Row(scenario, expected, observed, 0, 1, false);
    }

    String markdown() {
        return "| " + cell(scenario) + " | " + cell(expected) + " | " + cell(observed) + " | " + requests + " | "
                + failures + " | " + (passed ? "pass" : "**FAIL**") + " |";
    }

    private static String cell(String text) {
        return text.replace("|", "\\|").replace("\n", " ");
    }
}
