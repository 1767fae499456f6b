package org.fusekicdc.core.topic;

import java.util.List;

import org.fusekicdc.core.config.DeclaredComponentProvider;
import org.fusekicdc.core.config.Option;

/**
 * A {@link TopicReaderProvider} that is nothing but its declarations. A kind of topic reader
 * extends it with a public no-argument constructor, which {@link java.util.ServiceLoader} calls.
 */
public abstract class DeclaredTopicReaderProvider extends DeclaredComponentProvider<TopicReader> implements TopicReaderProvider {
    protected DeclaredTopicReaderProvider(String type, List<Option<?>> options, Factory<TopicReader> factory) {
        super(type, options, factory);
    }
}
