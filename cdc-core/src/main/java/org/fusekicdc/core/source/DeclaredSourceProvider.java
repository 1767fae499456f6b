package org.fusekicdc.core.source;

import java.util.List;

import org.fusekicdc.core.config.DeclaredProvider;
import org.fusekicdc.core.config.Option;

/**
 * A {@link SourceProvider} that is nothing but its declarations. A kind of source extends it with
 * a public no-argument constructor, which {@link java.util.ServiceLoader} calls.
 */
public abstract class DeclaredSourceProvider extends DeclaredProvider<DeclaredSourceProvider.Factory> implements SourceProvider {
    /** Makes a source; see {@link SourceProvider#create}. */
    @FunctionalInterface
    public interface Factory {
        Source create(SourceContext context);
    }

    protected DeclaredSourceProvider(String type, List<Option<?>> options, Factory factory) {
        super(type, options, factory);
    }

    @Override
    public final Source create(SourceContext context) {
        return factory().create(context);
    }
}
