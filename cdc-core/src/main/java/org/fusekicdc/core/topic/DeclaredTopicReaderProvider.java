package org.fusekicdc.core.topic;

import java.nio.file.Path;
import java.util.List;

import org.fusekicdc.core.config.DeclaredProvider;
import org.fusekicdc.core.config.Option;
import org.fusekicdc.core.config.OptionValues;

/**
 * A {@link TopicReaderProvider} that is nothing but its declarations. A kind of topic reader
 * extends it with a public no-argument constructor, which {@link java.util.ServiceLoader} calls.
 */
public abstract class DeclaredTopicReaderProvider extends DeclaredProvider<DeclaredTopicReaderProvider.Factory> implements TopicReaderProvider {
    /** Makes a topic reader; see {@link TopicReaderProvider#create}. */
    @FunctionalInterface
    public interface Factory {
        TopicReader create(String leaderDataset, OptionValues options, Path workDir);
    }

    protected DeclaredTopicReaderProvider(String type, List<Option<?>> options, Factory factory) {
        super(type, options, factory);
    }

    @Override
    public final TopicReader create(String leaderDataset, OptionValues options, Path workDir) {
        return factory().create(leaderDataset, options, workDir);
    }
}
