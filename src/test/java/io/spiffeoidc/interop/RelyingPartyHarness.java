package io.spiffeoidc.interop;

import com.nimbusds.jose.util.JSONObjectUtils;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The part every Java relying party of the interoperability suite shares; the same protocol as
 * interop/node/verify.mjs and interop/python/verify.py, so that interop/run.sh drives them all alike.
 *
 * <ol>
 *   <li>Discovery from the issuer alone (one result line, case {@code discovery}).</li>
 *   <li>One attempt per case of phase {@code initial}, one result line each.</li>
 *   <li>The line {@code ready-for-rotation}; then wait (bounded) until the rotation flag file exists.</li>
 *   <li>The cases of phase {@code rotation}, with the SAME verifier object, so the library's own
 *       cache and its refetch on an unknown kid are what gets exercised. A case expected to be accepted
 *       is retried every 200 ms until accepted or the rotation bound has passed; its line reports the
 *       time from the flag to acceptance and the number of attempts.</li>
 *   <li>With {@code --fault-flag}: the line {@code ready-for-fault}, a bounded wait for that flag file,
 *       then one attempt per case of phase {@code fault}, still with the same verifier.</li>
 * </ol>
 *
 * The discovery line is named by the case file's {@code discovery_case} (default {@code discovery}), so
 * the relying parties of a second issuer report rows of their own.
 *
 * Arguments: {@code --issuer URL --cases FILE --rotated-flag FILE [--fault-flag FILE] [--rotation-bound-ms N]
 * [--flag-timeout-ms N] [--refresh-limit-ms N|default]}.
 */
final class RelyingPartyHarness {

    /** What one library does with a token: return normally to accept, throw to reject. */
    interface TokenVerifier {
        void verify(String token) throws Exception;
    }

    /** Discovery plus the configured verifier. */
    interface Library {
        /** Performs discovery and returns the verifier; throws when the library refuses the issuer. */
        TokenVerifier discover(String issuer, String audience, String refreshLimitMs) throws Exception;
    }

    private static final long RETRY_PAUSE_MS = 200;

    private RelyingPartyHarness() {
    }

    static void run(String verifierName, Library library, String[] args) throws Exception {
        Map<String, String> options = InteropMint.options(args);
        String issuer = InteropMint.required(options, "--issuer");
        Path casesFile = Path.of(InteropMint.required(options, "--cases"));
        Path flag = Path.of(InteropMint.required(options, "--rotated-flag"));
        long rotationBound = Long.parseLong(options.getOrDefault("--rotation-bound-ms", "15000"));
        long flagTimeout = Long.parseLong(options.getOrDefault("--flag-timeout-ms", "120000"));
        String refreshLimit = options.getOrDefault("--refresh-limit-ms", "2000");

        Map<String, Object> document = JSONObjectUtils.parse(Files.readString(casesFile));
        String audience = (String) document.get("audience");
        String discoveryCase = (String) document.getOrDefault("discovery_case", "discovery");
        List<Object> cases = JSONObjectUtils.getJSONArray(document, "cases");

        TokenVerifier verifier = null;
        long start = System.nanoTime();
        try {
            verifier = library.discover(issuer, audience, refreshLimit);
            emit(verifierName, discoveryCase, "accept", "accept", millisSince(start), 1, "");
        } catch (Exception e) {
            emit(verifierName, discoveryCase, "accept", "reject", millisSince(start), 1, describe(e));
        }

        runPhase(verifierName, verifier, cases, InteropMint.INITIAL, 0);
        boolean flagged = awaitFlag("ready-for-rotation", flag, flagTimeout);
        runPhase(verifierName, verifier, cases, InteropMint.ROTATION, flagged ? rotationBound : 0);
        if (options.containsKey("--fault-flag")) {
            awaitFlag("ready-for-fault", Path.of(options.get("--fault-flag")), flagTimeout);
            runPhase(verifierName, verifier, cases, InteropMint.FAULT, 0);
        }
    }

    /** Announces the end of a phase, then waits (bounded) for run.sh's flag file; true when it came. */
    private static boolean awaitFlag(String line, Path flag, long timeoutMs) throws InterruptedException {
        System.out.println(line);
        System.out.flush();
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        while (!Files.exists(flag) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        return Files.exists(flag);
    }

    @SuppressWarnings("unchecked")
    private static void runPhase(String verifierName, TokenVerifier verifier, List<Object> cases, String phase,
            long retryBound) throws InterruptedException {
        for (Object item : cases) {
            Map<String, Object> c = (Map<String, Object>) item;
            if (!phase.equals(c.get("phase"))) {
                continue;
            }
            String name = (String) c.get("name");
            String expect = (String) c.get("expect");
            String token = (String) c.get("token");
            if (verifier == null) {
                emit(verifierName, name, expect, "reject", 0, 0, "discovery failed");
                continue;
            }
            boolean retry = InteropMint.ROTATION.equals(phase) && "accept".equals(expect);
            long start = System.nanoTime();
            long deadline = start + retryBound * 1_000_000;
            int attempts = 0;
            while (true) {
                attempts++;
                try {
                    verifier.verify(token);
                    emit(verifierName, name, expect, "accept", millisSince(start), attempts, "");
                    break;
                } catch (Exception e) {
                    if (!retry || System.nanoTime() >= deadline) {
                        emit(verifierName, name, expect, "reject", millisSince(start), attempts, describe(e));
                        break;
                    }
                    Thread.sleep(RETRY_PAUSE_MS);
                }
            }
        }
    }

    private static long millisSince(long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }

    private static String describe(Throwable e) {
        StringBuilder text = new StringBuilder(e.getClass().getSimpleName() + ": " + e.getMessage());
        Throwable cause = e.getCause();
        if (cause != null && cause != e) {
            text.append(" <- ").append(cause.getClass().getSimpleName()).append(": ").append(cause.getMessage());
        }
        String line = text.toString().replaceAll("\\s+", " ");
        return line.length() > 300 ? line.substring(0, 300) + "…" : line;
    }

    private static void emit(String verifier, String name, String expect, String result, long ms, int attempts,
            String detail) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("verifier", verifier);
        line.put("case", name);
        line.put("expect", expect);
        line.put("result", result);
        line.put("ok", expect.equals(result));
        line.put("ms", ms);
        line.put("attempts", attempts);
        line.put("detail", detail);
        System.out.println(JSONObjectUtils.toJSONString(line));
        System.out.flush();
    }
}
