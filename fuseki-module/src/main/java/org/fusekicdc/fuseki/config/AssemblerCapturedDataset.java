package org.fusekicdc.fuseki.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.jena.assembler.Assembler;
import org.apache.jena.fuseki.access.DataAccessCtl;
import org.apache.jena.graph.Node;
import org.apache.jena.query.Dataset;
import org.apache.jena.rdf.model.Resource;
import org.apache.jena.rdf.model.Statement;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.assembler.DatasetAssembler;
import org.apache.jena.sparql.util.Symbol;
import org.apache.jena.tdb2.assembler.VocabTDB2;
import org.apache.jena.vocabulary.RDF;
import org.fusekicdc.core.CdcConfigException;
import org.fusekicdc.core.capture.CapturingDatasetGraph;
import org.fusekicdc.core.capture.StoreHistory;
import org.fusekicdc.core.capture.Tdb2JournalRepair;
import org.fusekicdc.core.follow.Follower;
import org.fusekicdc.core.log.ChangeLog;
import org.fusekicdc.core.sink.internal.SinkRunners;
import org.fusekicdc.core.source.Source;
import org.fusekicdc.fuseki.live.LiveEngines;
import org.fusekicdc.fuseki.server.RequestAttributes;

/**
 * Builds a {@code cdc:CapturedDataset}: assembles the dataset named by {@code cdc:dataset},
 * opens (and, after an unclean stop, recovers) its change log, and wraps the dataset so that
 * every committed transaction is logged.
 * <pre>
 * :ds a cdc:CapturedDataset ;
 *     cdc:dataset [ a tdb2:DatasetTDB2 ; tdb2:location "run/ds" ] ;
 *     cdc:logDirectory "run/changes/ds" ;
 *     cdc:sink [ a cdc:KafkaSink ; cdc:bootstrapServers "localhost:9092" ] .
 * </pre>
 * The dataset's sinks are put in its context ({@link #DISPATCHER}); the Fuseki module starts
 * them with the server and stops them when it stops. A description opened again while its change
 * log is open gives the same dataset, so one captured dataset can be served by several services,
 * directly and through an {@code access:AccessControlledDataset}.
 */
public class AssemblerCapturedDataset extends DatasetAssembler {
    /** Context key of a captured dataset's {@link SinkRunners}: its sinks, started with the server. */
    public static final Symbol DISPATCHER = Symbol.create(VocabCdc.NS + "dispatcher");
    /** Context key of a follower dataset's {@link Follower}, started with the server. */
    public static final Symbol FOLLOWER = Symbol.create(VocabCdc.NS + "follower");
    /** Context key of a captured dataset's snapshot directory ({@code cdc:snapshotDirectory}), a {@link java.nio.file.Path}. */
    public static final Symbol SNAPSHOT_DIRECTORY = Symbol.create(VocabCdc.NS + "snapshotDirectory");
    /** Context key of a captured dataset's admin users ({@code cdc:adminUsers}), a {@code Set<String>}. */
    public static final Symbol ADMIN_USERS = Symbol.create(VocabCdc.NS + "adminUsers");
    /** Context key of a captured dataset's sources ({@code List<Source>}), started with the server. */
    public static final Symbol SOURCES = Symbol.create(VocabCdc.NS + "sources");

    // Captured datasets opened and not yet closed, by description: Jena's access:AccessControlledDataset
    // opens its access:dataset itself, so a dataset served both with and without access control is asked for twice.
    private final Map<Node, CapturingDatasetGraph> opened = new ConcurrentHashMap<>();

    @Override
    protected synchronized DatasetGraph createDataset(Assembler a, Resource root) {
        CapturingDatasetGraph open = opened.get(root.asNode());
        if ( open != null && !open.changeLog().isClosed() )
            return open;
        CapturingDatasetGraph dsg = create(a, root);
        opened.put(root.asNode(), dsg);
        return dsg;
    }

    private static CapturingDatasetGraph create(Assembler a, Resource root) {
        CapturedDatasetSettings settings = CapturedDatasetSettings.from(root);
        Path storeDirectory = tdb2Location(settings.datasetDescription());
        if ( storeDirectory != null )
            Tdb2JournalRepair.repairTornTail(storeDirectory);
        DatasetGraph base = ((Dataset)a.open(settings.datasetDescription())).asDatasetGraph();
        if ( DataAccessCtl.isAccessControlled(base) )
            throw new CdcConfigException(VocabCdc.dataset.getLocalName(), "Dataset '" + settings.name() + "': its cdc:dataset is an access:AccessControlledDataset."
                                         + " Capture inside access control would serve every graph to every reader. Put the access control outside:"
                                         + " give the access:AccessControlledDataset this cdc:CapturedDataset as its access:dataset, and capture"
                                         + " the plain dataset (see docs/security.md).");
        ChangeLog log = StoreHistory.open(settings.logConfig(), base, storeDirectory, settings.startNewHistory());
        try {
            CapturingDatasetGraph dsg = CapturingDatasetGraph.create(base, log, settings.captureConfig(RequestAttributes::current));
            dsg.getContext().set(FeedSettings.SYMBOL, settings.feed());
            dsg.getContext().set(LiveEngines.SETTINGS, settings.live());
            dsg.getContext().set(SNAPSHOT_DIRECTORY, settings.snapshotDirectory());
            dsg.getContext().set(ADMIN_USERS, settings.adminUsers());
            SinkRunners dispatcher = new SinkRunners(log);
            for ( SinkSettings sink : settings.sinks() )
                dispatcher.add(sink.create(settings.name()), sink.runnerConfig());
            dsg.getContext().set(DISPATCHER, dispatcher);
            if ( settings.follow() != null ) {
                FollowSettings f = settings.follow();
                dsg.getContext().set(FOLLOWER, new Follower(dsg, f.createSource(), f.config(), f.workDir()));
            }
            List<Source> sources = new ArrayList<>();
            for ( SourceSettings source : settings.sources() )
                sources.add(source.create(dsg));
            dsg.getContext().set(SOURCES, List.copyOf(sources));
            return dsg;
        } catch (RuntimeException ex) {
            log.close();
            throw ex;
        }
    }

    /**
     * The directory of a TDB2 dataset description; null for any other store, and for TDB2 in memory.
     * There a process killed mid-commit can leave TDB2 unable to open ({@link Tdb2JournalRepair}),
     * and there the store's history marker is kept ({@link StoreHistory}).
     */
    private static Path tdb2Location(Resource description) {
        if ( description.hasProperty(RDF.type, VocabTDB2.tDatasetTDB2) || description.hasProperty(RDF.type, VocabTDB2.tDatasetTDB) ) {
            Statement location = description.getProperty(VocabTDB2.pLocation);
            if ( location != null && location.getObject().isLiteral() && !location.getString().startsWith("--mem") )
                return Path.of(location.getString());
        }
        return null;
    }
}
