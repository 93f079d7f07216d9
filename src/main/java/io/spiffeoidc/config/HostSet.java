package io.spiffeoidc.config;

import java.util.Collection;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The host names the service answers for, in lower case. Only valid host names are kept: a name that is
 * not a host can never match a Host header, and the configuration check has already refused it.
 */
public record HostSet(Set<String> names) {

    public HostSet {
        names = Set.copyOf(names);
    }

    public static HostSet of(Collection<String> hosts) {
        return new HostSet(hosts.stream().map(h -> h.toLowerCase(Locale.ROOT)).filter(HostName::isValid)
                .collect(Collectors.toUnmodifiableSet()));
    }

    public boolean contains(String lowerCaseHost) {
        return names.contains(lowerCaseHost);
    }
}
