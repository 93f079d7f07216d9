package io.spiffeoidc.bundle;

import java.time.Clock;
import java.time.Duration;

/**
 * What makes one trust domain's publisher what it is, fixed for its life.
 *
 * @param source             the key source's name in logs, health data and metric tags, e.g. "workload-api"
 * @param trustDomain        named in every log line; empty when the service publishes one trust domain
 * @param markSignatureUse   whether served keys carry {@code "use": "sig"}
 * @param spiffeBundle       whether the trust domain has a SPIFFE bundle endpoint: only then are X.509
 *                           authorities taken and the bundle document prepared
 * @param rules              cache lifetime and key-count threshold of the served documents
 * @param missingGracePeriod how long the last good keys of a trust domain missing from its source stay served
 * @param clock              what every instant and age of the publisher is measured on
 */
public record PublisherSpec(String source, String trustDomain, boolean markSignatureUse, boolean spiffeBundle,
        PublicationRules rules, Duration missingGracePeriod, Clock clock) {

    /** Where candidates come from, as log lines name it: "workload-api", or "workload-api for partner.example". */
    String from() {
        return trustDomain.isEmpty() ? source : source + " for " + trustDomain;
    }

    /** The trust domain as log lines about its presence name it. */
    String trustDomainLabel() {
        return trustDomain.isEmpty() ? "(configured)" : trustDomain;
    }
}
