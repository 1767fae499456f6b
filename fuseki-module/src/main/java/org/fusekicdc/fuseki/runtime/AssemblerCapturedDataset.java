package org.fusekicdc.fuseki.runtime;

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
import org.apache.jena.tdb2.assembler.VocabTDB2;
import org.apache.jena.vocabulary.RDF;
import org.fusekicdc.core.CdcConfigException;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.capture.StoreHistory;
import org.fusekicdc.core.internal.capture.tdb2.Tdb2JournalRepair;
import org.fusekicdc.core.internal.follow.Follower;
import org.fusekicdc.core.internal.history.AsOfSource;
import org.fusekicdc.core.internal.history.HistorySnapshots;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.LogWriter;
import org.fusekicdc.core.sink.internal.SinkRunners;
import org.fusekicdc.core.source.Source;
import org.fusekicdc.fuseki.config.CapturedDatasetSettings;
import org.fusekicdc.fuseki.config.FollowSettings;
import org.fusekicdc.fuseki.config.HistorySettings;
import org.fusekicdc.fuseki.config.SinkSettings;
import org.fusekicdc.fuseki.config.SourceSettings;
import org.fusekicdc.fuseki.config.VocabCdc;
import org.fusekicdc.fuseki.http.RequestAttributes;

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
 * The dataset comes with its {@link DatasetRuntime}: its sinks, follower and sources, which the
 * Fuseki module starts with the server and stops when it stops. A description opened again while
 * its change log is open gives the same dataset, so one captured dataset can be served by several
 * services, directly and through an {@code access:AccessControlledDataset}.
 */
public class AssemblerCapturedDataset extends DatasetAssembler {
    // Captured datasets opened and not yet closed, by description: Jena's access:AccessControlledDataset
    // opens its access:dataset itself, so a dataset served both with and without access control is asked for twice.
    private final Map<Node, ServedDataset> opened = new ConcurrentHashMap<>();

    @Override
    protected synchronized DatasetGraph createDataset(Assembler a, Resource root) {
        ServedDataset open = opened.get(root.asNode());
        if ( open != null && !open.runtime().log().isClosed() )
            return open;
        ServedDataset dsg = new ServedDataset(create(a, root));
        opened.put(root.asNode(), dsg);
        return dsg;
    }

    private static DatasetRuntime create(Assembler a, Resource root) {
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
        LogWriter writer = StoreHistory.open(settings.logConfig(), base, storeDirectory, settings.startNewHistory());
        ChangeLog log = writer.log();
        try {
            CapturingDatasetGraph dsg = CapturingDatasetGraph.create(base, writer, settings.captureConfig(RequestAttributes::current));
            HistorySettings h = settings.history();
            HistorySnapshots historySnapshots = h.enabled() ? new HistorySnapshots(dsg, h.directory(), h.every(), h.kept()) : null;
            // The sinks read this dataset itself as of each patch (entity documents), never one looked up by name.
            SinkRunners sinkRunners = new SinkRunners(log, new AsOfSource(dsg, historySnapshots));
            for ( SinkSettings sink : settings.sinks() )
                sinkRunners.add(sink.create(settings.name()), sink.runnerConfig());
            FollowSettings f = settings.follow();
            Follower follower = f == null ? null : new Follower(dsg, f.createSource(), f.config(), f.workDir());
            List<Source> sources = new ArrayList<>();
            for ( SourceSettings source : settings.sources() )
                sources.add(source.create(dsg));
            return new DatasetRuntime(settings, dsg, historySnapshots, sinkRunners, follower, sources);
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
