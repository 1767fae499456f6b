package org.fusekicdc.core.sink;

import java.nio.file.Path;
import java.util.List;

import org.fusekicdc.core.config.DeclaredProvider;
import org.fusekicdc.core.config.Option;
import org.fusekicdc.core.config.OptionValues;

/**
 * A {@link SinkProvider} that is nothing but its declarations. A kind of sink extends it with a
 * public no-argument constructor, which {@link java.util.ServiceLoader} calls.
 */
public abstract class DeclaredSinkProvider extends DeclaredProvider<DeclaredSinkProvider.Factory> implements SinkProvider {
    /** Makes a sink; see {@link SinkProvider#create}. */
    @FunctionalInterface
    public interface Factory {
        Sink create(String dataset, OptionValues options, Path workDir);
    }

    protected DeclaredSinkProvider(String type, List<Option<?>> options, Factory factory) {
        super(type, options, factory);
    }

    @Override
    public final Sink create(String dataset, OptionValues options, Path workDir) {
        return factory().create(dataset, options, workDir);
    }
}
