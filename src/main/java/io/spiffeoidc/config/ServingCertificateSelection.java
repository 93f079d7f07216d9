package io.spiffeoidc.config;

import io.smallrye.config.ConfigSourceInterceptor;
import io.smallrye.config.ConfigSourceInterceptorContext;
import io.smallrye.config.ConfigValue;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * With spiffe-oidc.tls.serving-certificate=workload-api the public listener's certificate comes from the agent,
 * so the certificate files the prod profile names by default (/var/run/tls/tls.crt and .key, in
 * application.properties) must not count: the TLS registry refuses a configuration that has both a key store
 * and a provider. Only those defaults are withdrawn; files the operator names (environment, system properties,
 * the SPIRE file) stay visible, and the start-up check refuses them together with workload-api by name.
 */
public final class ServingCertificateSelection implements ConfigSourceInterceptor {

    public static final String PROPERTY = "spiffe-oidc.tls.serving-certificate";
    private static final String PEM = "quarkus.tls.public.key-store.pem.";
    /** application.properties in the application; lower ordinals are defaults. */
    private static final int APPLICATION_PROPERTIES = 250;

    @Override
    public ConfigValue getValue(ConfigSourceInterceptorContext context, String name) {
        ConfigValue value = context.proceed(name);
        if (value != null && isPem(name) && value.getConfigSourceOrdinal() <= APPLICATION_PROPERTIES && workloadApi(context)) {
            return null;
        }
        return value;
    }

    @Override
    public Iterator<String> iterateNames(ConfigSourceInterceptorContext context) {
        List<String> names = new ArrayList<>();
        boolean workloadApi = workloadApi(context);
        context.iterateNames().forEachRemaining(name -> {
            if (!workloadApi || !isPem(name) || getValue(context, name) != null) {
                names.add(name);
            }
        });
        return names.iterator();
    }

    private static boolean workloadApi(ConfigSourceInterceptorContext context) {
        ConfigValue selection = context.proceed(PROPERTY);
        return selection != null && selection.getValue() != null
                && selection.getValue().trim().toLowerCase(Locale.ROOT).replace('_', '-').equals("workload-api");
    }

    /** The property itself or a profile's variant of it ("%prod.quarkus.tls..."). */
    private static boolean isPem(String name) {
        String plain = name.startsWith("%") && name.indexOf('.') > 0 ? name.substring(name.indexOf('.') + 1) : name;
        return plain.startsWith(PEM);
    }
}
