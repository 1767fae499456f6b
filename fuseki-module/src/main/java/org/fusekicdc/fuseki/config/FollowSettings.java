package org.fusekicdc.fuseki.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

import org.apache.jena.rdf.model.RDFNode;
import org.fusekicdc.core.config.Option;
import org.fusekicdc.core.internal.follow.FollowerConfig;
import org.fusekicdc.core.topic.TopicReader;
import org.fusekicdc.core.topic.TopicReaderProvider;
import org.fusekicdc.core.config.OptionValues;

/**
 * The {@code cdc:follow} of a captured dataset: which {@link TopicReaderProvider} reads the
 * leader's patches, with what options, and how the follower treats them; all checked at start-up.
 */
public record FollowSettings(TopicReaderProvider provider, OptionValues options, FollowerConfig config, Path workDir) {

    /** Topic reader providers on the classpath, by configuration type. */
    public static Map<String, TopicReaderProvider> providers() {
        return Descriptions.providers(TopicReaderProvider.class, TopicReaderProvider::type);
    }

    static FollowSettings from(RDFNode node, String dataset, Path logDir, String where) {
        Map<String, TopicReaderProvider> providers = providers();
        TopicReaderProvider provider = providers.get(Descriptions.type(node, VocabCdc.follow.getLocalName(), where, "cdc:follow", "[ a cdc:KafkaTopic ; ... ]",
                                                                       providers.keySet(), "Is the sink's jar (which also reads its topic) in Fuseki's classpath?"));
        Set<String> allowed = new java.util.HashSet<>(CdcOption.FOLLOW_COMMON.stream().map(Option::name).toList());
        provider.options().forEach(o -> allowed.add(o.name()));
        Map<String, String> values = Descriptions.literalOptions(node.asResource(), allowed, where, "cdc:follow of type cdc:" + provider.type(), "docs/replicas.md");
        OptionValues options = OptionValues.forFollower(dataset, values);
        String leader = options.string(VocabCdc.leaderDataset.getLocalName(), dataset);
        String onBad = options.oneOf(CdcOption.ON_BAD_MESSAGE);
        String deadLetter = options.string(CdcOption.FOLLOW_DEAD_LETTER_DIRECTORY);
        if ( onBad.equals("deadLetter") && deadLetter == null )
            throw options.error(VocabCdc.onBadMessage.getLocalName(), "is \"deadLetter\" but cdc:deadLetterDirectory is not set; set it, e.g. cdc:deadLetterDirectory \"run/dead-letter/ds\"");
        URI snapshot = uri(options, VocabCdc.snapshotUrl.getLocalName());
        String onGap = options.oneOf(CdcOption.ON_GAP);
        if ( onGap.equals("resync") && snapshot == null )
            throw options.error(VocabCdc.onGap.getLocalName(), "is \"resync\" but cdc:snapshotUrl is not set; set it to the leader's cdc:snapshot endpoint,"
                                + " e.g. cdc:snapshotUrl \"http://leader:3030/ds/snapshot\"");
        String authorization = options.string(CdcOption.SNAPSHOT_AUTHORIZATION);
        long initial = options.number(CdcOption.FOLLOW_RETRY_INITIAL_MILLIS);
        long max = options.number(CdcOption.FOLLOW_RETRY_MAX_MILLIS);
        if ( max < initial )
            throw options.error(VocabCdc.retryMaxMillis.getLocalName(), "(" + max + ") is smaller than cdc:retryInitialMillis (" + initial + ")");
        FollowerConfig config = new FollowerConfig(leader, onBad.equals("deadLetter") ? FollowerConfig.OnBadMessage.DEAD_LETTER : FollowerConfig.OnBadMessage.HALT,
                                                   onGap.equals("resync") ? FollowerConfig.OnGap.RESYNC : FollowerConfig.OnGap.HALT,
                                                   deadLetter == null ? null : Descriptions.directory(VocabCdc.deadLetterDirectory.getLocalName(), deadLetter, where), snapshot, authorization,
                                                   options.string(CdcOption.LEADER_URL),
                                                   Duration.ofMillis(initial), Duration.ofMillis(max),
                                                   (int)options.number(CdcOption.FOLLOW_MAX_GROUP_VERSIONS));
        FollowSettings settings = new FollowSettings(provider, options, config, logDir.resolve("follower"));
        // Validate the source's own options now, so a mistake stops start-up.
        settings.createSource().close();
        return settings;
    }

    private static URI uri(OptionValues options, String option) {
        String v = options.string(option, null);
        if ( v == null )
            return null;
        try {
            URI u = URI.create(v);
            if ( !"http".equals(u.getScheme()) && !"https".equals(u.getScheme()) )
                throw options.error(option, "must be an http or https URL, got \"" + v + "\"");
            return u;
        } catch (IllegalArgumentException ex) {
            throw options.error(option, "is not a URL: " + ex.getMessage());
        }
    }

    /** A new source as configured (not yet connected). */
    public TopicReader createSource() {
        return provider.create(config.leaderDataset(), options, workDir);
    }
}
