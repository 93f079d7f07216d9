package io.spiffeoidc.bundle;

import io.spiffeoidc.logging.LogSanitiser;
import java.util.Collection;
import java.util.stream.Collectors;

/**
 * Keys the source delivered that are nevertheless not served, and why; one name per cause. While any
 * withdrawal is in force the trust domain serves nothing. {@link Cause#TAINTED} and {@link Cause#EXPIRED}
 * take the keys away for good: the operator declared them compromised, or their time is over, so nothing
 * of them is kept. {@link Cause#ABSENT} only hides the last good keys of a trust domain its source has
 * stopped delivering for longer than the grace period; they are served again when it returns.
 *
 * @param reason one line for logs and health data
 */
public record Withdrawal(Cause cause, String reason) {

    public enum Cause {
        TAINTED("tainted"), EXPIRED("expired"), ABSENT("absent");

        private final String word;

        Cause(String word) {
            this.word = word;
        }

        /** As log lines say it: "key(s) ... tainted". */
        public String word() {
            return word;
        }
    }

    /** A candidate whose every JWT authority arrived tainted or expired. */
    static Withdrawal everyAuthority(Cause cause, Collection<String> kids) {
        String state = cause == Cause.EXPIRED ? "has expired" : "is " + cause.word();
        return new Withdrawal(cause, "every JWT authority " + state + " " + kidList(kids));
    }

    /** The served keys that were left, all tainted or expired since. */
    static Withdrawal everyServedKey(Cause cause, Collection<String> kids) {
        return new Withdrawal(cause, "every served key is " + cause.word() + " " + kidList(kids));
    }

    /** Key ids as log lines and health data list them: sanitised, in brackets. */
    static String kidList(Collection<String> kids) {
        return kids.stream().map(LogSanitiser::clean).collect(Collectors.joining(", ", "[", "]"));
    }
}
