package io.spiffeoidc.spire;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations written the way SPIRE's file writes them (Go's syntax): "10s", "1m30s", "500ms", "1.5h". */
final class GoDuration {

    private static final Pattern TERM = Pattern.compile("(\\d+(?:\\.\\d*)?|\\.\\d+)(ns|us|µs|μs|ms|s|m|h)");
    private static final Map<String, Long> NANOS = Map.of("ns", 1L, "us", 1_000L, "µs", 1_000L, "μs", 1_000L,
            "ms", 1_000_000L, "s", 1_000_000_000L, "m", 60_000_000_000L, "h", 3_600_000_000_000L);

    private GoDuration() {
    }

    /** Empty when {@code text} is not a Go duration. */
    static Optional<Duration> parse(String text) {
        String body = text;
        boolean negative = false;
        if (body.startsWith("-") || body.startsWith("+")) {
            negative = body.startsWith("-");
            body = body.substring(1);
        }
        if (body.equals("0")) {
            return Optional.of(Duration.ZERO);
        }
        if (body.isEmpty()) {
            return Optional.empty();
        }
        Matcher term = TERM.matcher(body);
        BigDecimal nanos = BigDecimal.ZERO;
        int end = 0;
        while (term.find() && term.start() == end) {
            nanos = nanos.add(new BigDecimal(term.group(1)).multiply(BigDecimal.valueOf(NANOS.get(term.group(2)))));
            end = term.end();
        }
        if (end != body.length()) {
            return Optional.empty();
        }
        Duration value = Duration.ofNanos(nanos.longValue());
        return Optional.of(negative ? value.negated() : value);
    }
}
