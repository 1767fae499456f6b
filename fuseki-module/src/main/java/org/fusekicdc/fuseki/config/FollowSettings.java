package org.fusekicdc.fuseki.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.apache.jena.rdf.model.RDFNode;
import org.apache.jena.rdf.model.Resource;
import org.apache.jena.rdf.model.Statement;
import org.apache.jena.vocabulary.RDF;
import org.fusekicdc.core.CdcConfigException;
import org.fusekicdc.core.follow.FollowerConfig;
import org.fusekicdc.core.follow.PatchSource;
import org.fusekicdc.core.follow.PatchSourceProvider;
import org.fusekicdc.core.sink.SinkOptions;
import org.fusekicdc.core.sink.SinkProvider.SinkOption;

/**
 * The {@code cdc:follow} of a captured dataset: which {@link PatchSourceProvider} reads the
 * leader's patches, with what options, and how the follower treats them; all checked at start-up.
 */
public record FollowSettings(PatchSourceProvider provider, SinkOptions options, FollowerConfig config, Path workDir) {

    /** Patch source providers on the classpath, by configuration type. */
    public static Map<String, PatchSourceProvider> providers() {
        Map<String, PatchSourceProvider> m = new LinkedHashMap<>();
        ServiceLoader.load(PatchSourceProvider.class, FollowSettings.class.getClassLoader()).forEach(p -> m.put(p.type(), p));
        return m;
    }

    static FollowSettings from(RDFNode node, String dataset, Path logDir, String where) {
        String followOpt = VocabCdc.follow.getLocalName();
        Map<String, PatchSourceProvider> providers = providers();
        String known = providers.isEmpty() ? "none" : providers.keySet().stream().map(t -> "cdc:" + t).collect(Collectors.joining(", "));
        if ( !node.isResource() )
            throw new CdcConfigException(followOpt, where + ": cdc:follow must describe the leader's topic, such as [ a cdc:KafkaTopic ; ... ], got " + node + ".");
        Resource r = node.asResource();
        List<String> types = r.listProperties(RDF.type).toList().stream().map(Statement::getObject)
                              .filter(o -> o.isURIResource() && o.asResource().getURI().startsWith(VocabCdc.NS))
                              .map(o -> o.asResource().getLocalName()).toList();
        if ( types.size() != 1 )
            throw new CdcConfigException(followOpt, where + ": cdc:follow needs exactly one type, one of " + known + "; got " + types + ".");
        PatchSourceProvider provider = providers.get(types.get(0));
        if ( provider == null )
            throw new CdcConfigException(followOpt, where + ": unknown source type cdc:" + types.get(0) + ". Source types on the server's classpath: "
                                         + known + ". Is the sink's jar (which also reads its topic) in Fuseki's classpath?");
        Set<String> common = CdcOption.FOLLOW_COMMON.stream().map(o -> o.property().getLocalName()).collect(Collectors.toSet());
        Set<String> own = provider.options().stream().map(SinkOption::name).collect(Collectors.toSet());
        Map<String, String> values = new LinkedHashMap<>();
        for ( Statement st : r.listProperties().toList() ) {
            if ( !st.getPredicate().getURI().startsWith(VocabCdc.NS) )
                continue;
            String local = st.getPredicate().getLocalName();
            if ( !common.contains(local) && !own.contains(local) )
                throw new CdcConfigException(local, where + ", cdc:follow of type cdc:" + provider.type() + ": unknown option cdc:" + local + ". Options: "
                                             + Stream.concat(common.stream(), own.stream()).sorted().map(o -> "cdc:" + o).collect(Collectors.joining(", "))
                                             + " (see docs/replicas.md).");
            if ( values.containsKey(local) )
                throw new CdcConfigException(local, where + ": cdc:" + local + " is given more than once on cdc:follow; give it once.");
            if ( !st.getObject().isLiteral() )
                throw new CdcConfigException(local, where + ": cdc:follow option cdc:" + local + " must be a literal value, got " + st.getObject() + ".");
            values.put(local, st.getObject().asLiteral().getLexicalForm());
        }
        SinkOptions options = SinkOptions.forFollower(dataset, values);
        String leader = options.string(VocabCdc.leaderDataset.getLocalName(), dataset);
        String onBad = options.oneOf(VocabCdc.onBadMessage.getLocalName(), "halt", "halt", "deadLetter");
        String deadLetter = options.string(VocabCdc.deadLetterDirectory.getLocalName(), null);
        if ( onBad.equals("deadLetter") && deadLetter == null )
            throw options.error(VocabCdc.onBadMessage.getLocalName(), "is \"deadLetter\" but cdc:deadLetterDirectory is not set; set it, e.g. cdc:deadLetterDirectory \"run/dead-letter/ds\"");
        URI snapshot = uri(options, VocabCdc.snapshotUrl.getLocalName());
        String onGap = options.oneOf(VocabCdc.onGap.getLocalName(), "halt", "halt", "resync");
        if ( onGap.equals("resync") && snapshot == null )
            throw options.error(VocabCdc.onGap.getLocalName(), "is \"resync\" but cdc:snapshotUrl is not set; set it to the leader's cdc:snapshot endpoint,"
                                + " e.g. cdc:snapshotUrl \"http://leader:3030/ds/snapshot\"");
        String authorization = options.string(VocabCdc.snapshotAuthorization.getLocalName(), null);
        long initial = options.number(VocabCdc.retryInitialMillis.getLocalName(), 200, 1, 3_600_000);
        long max = options.number(VocabCdc.retryMaxMillis.getLocalName(), 30_000, 1, 3_600_000);
        if ( max < initial )
            throw options.error(VocabCdc.retryMaxMillis.getLocalName(), "(" + max + ") is smaller than cdc:retryInitialMillis (" + initial + ")");
        FollowerConfig config = new FollowerConfig(leader, onBad.equals("deadLetter") ? FollowerConfig.OnBadMessage.DEAD_LETTER : FollowerConfig.OnBadMessage.HALT,
                                                   onGap.equals("resync") ? FollowerConfig.OnGap.RESYNC : FollowerConfig.OnGap.HALT,
                                                   deadLetter == null ? null : Path.of(deadLetter), snapshot, authorization,
                                                   options.string(VocabCdc.leaderUrl.getLocalName(), null),
                                                   Duration.ofMillis(initial), Duration.ofMillis(max));
        FollowSettings settings = new FollowSettings(provider, options, config, logDir.resolve("follower"));
        // Validate the source's own options now, so a mistake stops start-up.
        settings.createSource().close();
        return settings;
    }

    private static URI uri(SinkOptions options, String option) {
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
    public PatchSource createSource() {
        return provider.create(config.leaderDataset(), options, workDir);
    }
}
