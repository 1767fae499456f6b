package org.fusekicdc.core.config;

import java.nio.file.Path;
import java.util.List;

/**
 * A {@link DeclaredProvider} of a component that is made for one dataset from its checked options
 * and a working directory of its own: a sink, a topic reader.
 *
 * @param <T> the component's type
 */
public abstract class DeclaredComponentProvider<T> extends DeclaredProvider<DeclaredComponentProvider.Factory<T>> {
    /** Makes a component for {@code dataset} from its checked options. */
    @FunctionalInterface
    public interface Factory<T> {
        T create(String dataset, OptionValues options, Path workDir);
    }

    protected DeclaredComponentProvider(String type, List<Option<?>> options, Factory<T> factory) {
        super(type, options, factory);
    }

    public final T create(String dataset, OptionValues options, Path workDir) {
        return factory().create(dataset, options, workDir);
    }
}
