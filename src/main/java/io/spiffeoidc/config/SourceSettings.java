package io.spiffeoidc.config;

import java.nio.file.Path;
import java.time.Duration;

/** The validated key source: only the settings that source uses, each already parsed. */
public sealed interface SourceSettings {

    /** The source's name in logs, health data and metric tags. */
    String label();

    /** How often the source is read again; zero for a source that pushes. */
    Duration pollInterval();

    record File(Path path, Duration pollInterval) implements SourceSettings {
        @Override
        public String label() {
            return "file";
        }
    }

    record WorkloadApi(Path socket, TrustDomain trustDomain) implements SourceSettings {
        @Override
        public String label() {
            return "workload-api";
        }

        @Override
        public Duration pollInterval() {
            return Duration.ZERO;
        }
    }

    record ServerApi(Path socket, TrustDomain trustDomain, Duration pollInterval) implements SourceSettings {
        @Override
        public String label() {
            return "server-api";
        }
    }
}
