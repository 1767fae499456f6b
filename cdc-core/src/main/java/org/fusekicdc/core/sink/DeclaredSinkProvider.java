package org.fusekicdc.core.sink;

import java.util.List;

import org.fusekicdc.core.config.DeclaredComponentProvider;
import org.fusekicdc.core.config.Option;

/**
 * A {@link SinkProvider} that is nothing but its declarations. A kind of sink extends it with a
 * public no-argument constructor, which {@link java.util.ServiceLoader} calls.
 */
public abstract class DeclaredSinkProvider extends DeclaredComponentProvider<Sink> implements SinkProvider {
    protected DeclaredSinkProvider(String type, List<Option<?>> options, Factory<Sink> factory) {
        super(type, options, factory);
    }
}
