package org.fusekicdc.core.config;

import java.util.List;
import java.util.Objects;

/**
 * What a provider of a kind of sink or source declares: its configuration type (a local name in
 * the {@code cdc:} namespace), its options, and the factory that makes one from checked options.
 * Providers extend a subclass of this for their SPI and keep nothing else.
 *
 * @param <F> the factory's type
 */
public abstract class DeclaredProvider<F> {
    private final String type;
    private final List<Option<?>> options;
    private final F factory;

    protected DeclaredProvider(String type, List<Option<?>> options, F factory) {
        this.type = Objects.requireNonNull(type, "type");
        this.options = List.copyOf(options);
        this.factory = Objects.requireNonNull(factory, "factory");
    }

    public final String type() {
        return type;
    }

    public final List<Option<?>> options() {
        return options;
    }

    protected final F factory() {
        return factory;
    }
}
