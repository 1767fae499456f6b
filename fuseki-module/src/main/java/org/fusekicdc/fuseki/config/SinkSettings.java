package org.fusekicdc.fuseki.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.apache.jena.rdf.model.RDFNode;
import org.fusekicdc.core.CdcConfigException;
import org.fusekicdc.core.config.Option;
import org.fusekicdc.core.sink.Sink;
import org.fusekicdc.core.sink.SinkConfig;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.sink.SinkProvider;
import org.fusekicdc.core.wire.FormatOptions;

/**
 * One {@code cdc:sink} of a captured dataset: its type (which {@link SinkProvider} builds
 * it), the options every sink has, and the type's own options, all checked at start-up.
 */
public record SinkSettings(SinkProvider provider, String name, OptionValues options, SinkConfig runnerConfig, Path workDir) {

    /** Sink providers on the classpath, by configuration type. */
    public static Map<String, SinkProvider> providers() {
        return Descriptions.providers(SinkProvider.class, SinkProvider::type);
    }

    /**
     * @param steps whether the sink is a continuous query's: its messages are steps ({@code cdc:format "step"}, the default
     *              and only format there, refused on a dataset's sinks)
     */
    static SinkSettings from(RDFNode node, String dataset, Path logDir, String where, boolean steps) {
        Map<String, SinkProvider> providers = providers();
        SinkProvider provider = providers.get(Descriptions.type(node, VocabCdc.sink.getLocalName(), where, "each cdc:sink", "[ a cdc:KafkaSink ; ... ]",
                                                                providers.keySet(), "Is the sink's jar in Fuseki's classpath?"));
        Set<String> allowed = new java.util.HashSet<>(CdcOption.SINK_COMMON.stream().map(Option::name).toList());
        provider.options().forEach(o -> allowed.add(o.name()));
        Map<String, String> values = Descriptions.literalOptions(node.asResource(), allowed, where, "sink of type cdc:" + provider.type(), "docs/sinks.md");
        String name = values.getOrDefault(VocabCdc.name.getLocalName(), defaultName(provider));
        stepFormat(values, steps, provider.options().stream().anyMatch(SinkSettings::takesSteps), where + ", sink '" + name + "'");
        OptionValues options = new OptionValues(name, values);
        String deadLetter = options.string(CdcOption.SINK_DEAD_LETTER_DIRECTORY);
        long maxLag = options.number(CdcOption.MAX_LAG_VERSIONS);
        String onLag = options.oneOf(CdcOption.ON_LAG);
        if ( onLag.equals("refuse") && maxLag == 0 )
            throw options.error(VocabCdc.onLag.getLocalName(), "is \"refuse\" but cdc:maxLagVersions is not set; set the bound, e.g. cdc:maxLagVersions 100000");
        long initial = options.number(CdcOption.SINK_RETRY_INITIAL_MILLIS);
        long max = options.number(CdcOption.SINK_RETRY_MAX_MILLIS);
        if ( max < initial )
            throw options.error(VocabCdc.retryMaxMillis.getLocalName(), "(" + max + ") is smaller than cdc:retryInitialMillis (" + initial + ")");
        SinkConfig.Acknowledge acknowledge = options.oneOf(CdcOption.ACKNOWLEDGE_WRITES).equals("topic") ? SinkConfig.Acknowledge.DESTINATION : SinkConfig.Acknowledge.LOCAL;
        SinkConfig config = SinkConfig.DEFAULTS.withBackoff(Duration.ofMillis(initial), Duration.ofMillis(max))
                                               .withDeadLetterDir(deadLetter == null ? null : Descriptions.directory(VocabCdc.deadLetterDirectory.getLocalName(), deadLetter, where))
                                               .withLagBound(maxLag, onLag.equals("refuse") ? SinkConfig.LagPolicy.REFUSE : SinkConfig.LagPolicy.BUFFER)
                                               .withAcknowledgeWrites(acknowledge, Duration.ofMillis(options.number(CdcOption.ACKNOWLEDGE_TIMEOUT_MILLIS)));
        if ( acknowledge == SinkConfig.Acknowledge.DESTINATION && deadLetter != null )
            throw options.error(VocabCdc.acknowledgeWrites.getLocalName(), "is \"topic\" but the sink also has cdc:deadLetterDirectory: a dead-lettered patch is not on the topic"
                                + " a promoted follower takes over from. Remove cdc:deadLetterDirectory from this sink");
        SinkSettings settings = new SinkSettings(provider, name, options, config, Descriptions.stateDirectory(logDir.resolve("sinks"), name, where, "sink"));
        // Validate the type's own options now, so a mistake stops start-up.
        settings.create(dataset).close();
        return settings;
    }

    /** Whether a sink's {@code cdc:format} can say {@code "step"}: the formats every sink shares ({@link FormatOptions#FORMAT}), or a sink's own list with steps in it. */
    private static boolean takesSteps(Option<?> option) {
        return option == FormatOptions.FORMAT
               || option.name().equals(FormatOptions.FORMAT.name()) && option.validator() instanceof Option.OneOf one && one.allowed().contains(FormatOptions.STEP);
    }

    /** @param sendsSteps whether the sink's {@code cdc:format} takes {@code "step"} ({@link #takesSteps}) */
    private static void stepFormat(Map<String, String> values, boolean steps, boolean sendsSteps, String where) {
        String option = FormatOptions.FORMAT.name();
        String given = values.get(option);
        if ( steps && given != null && !given.equals(FormatOptions.STEP) )
            throw new CdcConfigException(option, where + ": cdc:format is \"" + given + "\", but a continuous query's sink sends its steps as JSON"
                                                  + " (cdc:format \"step\", the default); remove cdc:format");
        if ( !steps && FormatOptions.STEP.equals(given) )
            throw new CdcConfigException(option, where + ": cdc:format \"step\" is for the sinks of a cdc:continuousQuery; a dataset's sink sends patches:"
                                                  + " use text, binary, json or entity");
        if ( steps && sendsSteps )
            values.put(option, FormatOptions.STEP);
    }

    private static String defaultName(SinkProvider provider) {
        String t = provider.type();
        return (t.endsWith("Sink") ? t.substring(0, t.length() - 4) : t).toLowerCase(Locale.ROOT);
    }

    /** A new sink as configured (not yet connected). */
    public Sink create(String dataset) {
        return provider.create(dataset, options, workDir);
    }
}
