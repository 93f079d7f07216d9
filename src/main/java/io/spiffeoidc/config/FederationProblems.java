package io.spiffeoidc.config;

import io.spiffeoidc.config.IssuerRules.Configured;
import io.spiffeoidc.config.ProviderConfig.FederatedTrustDomainConfig;
import io.spiffeoidc.config.ProviderConfig.SourceKind;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The federated trust domains (spiffe-oidc.federated."name".*), part of {@link ConfigProblems}: each is
 * an issuer under the same {@link IssuerRules} as the primary, of a trust domain no other issuer publishes,
 * with its own bundle file where the file source reads one per trust domain.
 */
final class FederationProblems {

    private static final String PRIMARY_NAME = "spiffe-oidc.trust-domain";

    private FederationProblems() {
    }

    /** The federated issuers that pass every rule of their own, by name. */
    static List<Issuer> check(ProviderConfig config, IssuerRules rules, Optional<TrustDomain> primaryName,
            Optional<Issuer> primary, List<String> problems) {
        Map<String, FederatedTrustDomainConfig> federated = config.federated();
        if (federated.isEmpty()) {
            return List.of();
        }
        if (config.trustDomain().isEmpty()) {
            problems.add("spiffe-oidc.trust-domain: required when spiffe-oidc.federated is set"
                    + " (names the primary trust domain next to the federated ones)");
        }
        // Each trust domain has one publisher: two issuers of one trust domain would share its keys.
        Map<String, String> owners = new HashMap<>();
        primaryName.ifPresent(name -> owners.put(name.name(), PRIMARY_NAME));
        List<Issuer> accepted = new ArrayList<>();
        for (Map.Entry<String, FederatedTrustDomainConfig> entry : new TreeMap<>(federated).entrySet()) {
            Configured configured = Configured.federated(entry.getKey(), entry.getValue(), primary);
            Optional<TrustDomain> name = rules.trustDomain(configured);
            String owner = name.map(td -> owners.putIfAbsent(td.name(), configured.trustDomainProperty())).orElse(null);
            if (owner != null) {
                problems.add(configured.trustDomainProperty() + (owner.equals(PRIMARY_NAME)
                        ? ": is the primary trust domain (" + PRIMARY_NAME + ") already"
                        : ": is trust domain " + name.get().name() + " of " + owner + " already"));
            }
            rules.issuer(configured, name).ifPresent(accepted::add);
            checkFile(config.source(), configured, problems);
        }
        return accepted;
    }

    private static void checkFile(SourceKind source, Configured configured, List<String> problems) {
        if (source == SourceKind.FILE && configured.file().isEmpty()) {
            problems.add(configured.named("file.path")
                    + ": required when spiffe-oidc.source=file (one bundle file per trust domain)");
        } else if (source != SourceKind.FILE && configured.file().isPresent()) {
            problems.add(configured.named("file.path") + ": only used with spiffe-oidc.source=file; the "
                    + source.label() + " source delivers every trust domain's bundle");
        }
    }
}
