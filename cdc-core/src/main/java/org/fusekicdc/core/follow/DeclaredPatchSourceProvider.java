package org.fusekicdc.core.follow;

import java.nio.file.Path;
import java.util.List;

import org.fusekicdc.core.config.DeclaredProvider;
import org.fusekicdc.core.config.Option;
import org.fusekicdc.core.sink.SinkOptions;

/**
 * A {@link PatchSourceProvider} that is nothing but its declarations. A kind of patch source
 * extends it with a public no-argument constructor, which {@link java.util.ServiceLoader} calls.
 */
public abstract class DeclaredPatchSourceProvider extends DeclaredProvider<DeclaredPatchSourceProvider.Factory> implements PatchSourceProvider {
    /** Makes a patch source; see {@link PatchSourceProvider#create}. */
    @FunctionalInterface
    public interface Factory {
        PatchSource create(String leaderDataset, SinkOptions options, Path workDir);
    }

    protected DeclaredPatchSourceProvider(String type, List<Option<?>> options, Factory factory) {
        super(type, options, factory);
    }

    @Override
    public final PatchSource create(String leaderDataset, SinkOptions options, Path workDir) {
        return factory().create(leaderDataset, options, workDir);
    }
}
