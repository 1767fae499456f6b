package org.fusekicdc.fuseki.server;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.jena.atlas.lib.FileOps;
import org.apache.jena.cmd.CmdGeneral;
import org.apache.jena.fuseki.Fuseki;
import org.apache.jena.fuseki.main.FusekiServer;
import org.apache.jena.fuseki.main.runner.ServerArgs;
import org.apache.jena.fuseki.main.sys.FusekiAutoModule;
import org.apache.jena.fuseki.metrics.MetricsProvider;
import org.apache.jena.fuseki.server.DataAccessPoint;
import org.apache.jena.fuseki.server.DataAccessPointRegistry;
import org.apache.jena.fuseki.server.Operation;
import org.apache.jena.fuseki.server.OperationRegistry;
import org.apache.jena.rdf.model.Model;
import org.apache.jena.riot.WebContent;
import org.fusekicdc.core.CdcConfigException;
import org.fusekicdc.core.capture.CapturingDatasetGraph;
import org.fusekicdc.core.follow.Follower;
import org.fusekicdc.core.sink.Dispatcher;
import org.fusekicdc.core.sink.OrphanedReaders;
import org.fusekicdc.fuseki.access.AccessControlledEndpoints;
import org.fusekicdc.fuseki.access.CorsFilter;
import org.fusekicdc.fuseki.admin.CdcAdminServlet;
import org.fusekicdc.fuseki.config.AllowedOrigins;
import org.fusekicdc.core.source.Source;
import org.fusekicdc.fuseki.config.AssemblerCapturedDataset;
import org.fusekicdc.fuseki.feed.ChangeFeedService;
import org.fusekicdc.fuseki.feed.FeedStreams;
import org.fusekicdc.fuseki.follow.SnapshotService;
import org.fusekicdc.fuseki.live.LiveEngines;
import org.fusekicdc.fuseki.live.LiveQueryService;
import org.fusekicdc.fuseki.metrics.CdcMeters;
import org.slf4j.Logger;

/**
 * The fuseki-cdc Fuseki module, found by ServiceLoader. Datasets described as
 * {@code cdc:CapturedDataset} are built by the assembler; this module checks the configuration
 * file up front (so errors carry line numbers), attaches request attributes (user, request id)
 * to captured patches, and closes the change logs when the server stops. A server without
 * {@code cdc:} configuration is left exactly as it was.
 */
public class FMod_FusekiCdc implements FusekiAutoModule {
    // Fuseki's own configuration logger, so that the start-up summary shows with Fuseki's default logging setup.
    private static final Logger LOG = Fuseki.configLog;

    /** The status endpoint: capture, change logs and sinks of every captured dataset, as JSON. */
    public static final String STATUS_PATH = "/$/cdc";

    private static final List<Operation> CDC_OPERATIONS = List.of(CdcOperations.CHANGES, CdcOperations.LIVE, CdcOperations.SNAPSHOT);

    private final List<CapturingDatasetGraph> captured = new ArrayList<>();
    private final List<CapturedService> services = new ArrayList<>();
    private final List<CdcMeters> meters = new ArrayList<>();
    private CorsFilter cors;

    @Override
    public String name() {
        return "fuseki-cdc";
    }

    @Override
    public void serverArgsPrepare(CmdGeneral fusekiCmd, ServerArgs serverArgs) {
        if ( serverArgs.serverConfigFile != null && FileOps.exists(serverArgs.serverConfigFile) )
            ConfigFileCheck.check(Path.of(serverArgs.serverConfigFile));
    }

    @Override
    public void prepare(FusekiServer.Builder serverBuilder, Set<String> datasetNames, Model configModel) {
        ModuleLogging.showInfo();
        serverBuilder.registerOperation(CdcOperations.CHANGES, new ChangeFeedService());
        serverBuilder.registerOperation(CdcOperations.LIVE, new LiveQueryService());
        serverBuilder.registerOperation(CdcOperations.SNAPSHOT, new SnapshotService());
        // Writes are refused (503) while a sink with cdc:onLag "refuse" is too far behind.
        OperationRegistry std = OperationRegistry.createStd();
        Map<Operation, String> writeOps = new LinkedHashMap<>();
        writeOps.put(Operation.Update, WebContent.contentTypeSPARQLUpdate);
        writeOps.put(Operation.Patch, WebContent.contentTypePatch);
        writeOps.put(Operation.GSP_RW, null);
        writeOps.put(Operation.GSP_Direct_RW, null);
        writeOps.put(Operation.Upload, null);
        writeOps.forEach((op, contentType) -> {
            if ( std.isRegistered(op) )
                serverBuilder.registerOperation(op, contentType, new WriteGate(std.findHandler(op)));
        });
    }

    @Override
    public void configured(FusekiServer.Builder serverBuilder, DataAccessPointRegistry dapRegistry, Model configModel) {
        captured.clear();
        services.clear();
        cors = null;
        Map<String, AllowedOrigins> corsEndpoints = new HashMap<>();
        for ( DataAccessPoint dap : dapRegistry.accessPoints() ) {
            // The captured dataset itself, or behind an access:AccessControlledDataset.
            CapturingDatasetGraph c = CapturedDatasets.find(dap.getDataService().getDataset());
            for ( Operation op : CDC_OPERATIONS ) {
                if ( !dap.getDataService().getEndpoints(op).isEmpty() && c == null )
                    throw new CdcConfigException("Service " + dap.getName() + " has a " + op.getName() + " endpoint but its dataset is not a"
                                                 + " cdc:CapturedDataset. Wrap the dataset in a cdc:CapturedDataset (see docs/configuration.md) or remove the endpoint.");
                if ( c != null )
                    dap.getDataService().getEndpoints(op).forEach(ep -> corsEndpoints.put(CapturedService.path(dap, ep), origins(c)));
            }
            if ( c != null ) {
                if ( !captured.contains(c) )
                    captured.add(c);
                services.add(CapturedService.of(dap, c));
                LOG.info("Dataset '{}': capture on for {} (change log {}, head version {})", c.datasetName(), dap.getName(),
                         c.changeLog().config().directory(), c.changeLog().headVersion());
            }
        }
        if ( !captured.isEmpty() ) {
            serverBuilder.addFilter("/*", new RequestAttributes());
            Map<String, AllowedOrigins> corsDatasets = new HashMap<>();
            captured.forEach(c -> corsDatasets.put(c.datasetName(), origins(c)));
            cors = new CorsFilter(corsEndpoints, corsDatasets, STATUS_PATH);
            serverBuilder.addServlet(STATUS_PATH, new CdcStatusServlet(List.copyOf(services)));
            serverBuilder.addServlet(STATUS_PATH + "/*", new CdcAdminServlet(List.copyOf(services)));
        }
    }

    private static AllowedOrigins origins(CapturingDatasetGraph c) {
        return LiveEngines.settings(c).allowedOrigins();
    }

    @Override
    public void serverBeforeStarting(FusekiServer server) {
        AccessControlledEndpoints.restore(server, CDC_OPERATIONS);
        LiveQueryService.enableWebSockets(server);
        if ( cors != null )
            cors.installFirst(server);
        bindMetrics(server);
        for ( CapturingDatasetGraph c : captured ) {
            Dispatcher d = dispatcher(c);
            if ( d != null && !d.isEmpty() ) {
                d.start();
                LOG.info("Dataset '{}': {} sink(s) started: {}", c.datasetName(), d.status().size(),
                         d.status().stream().map(s -> s.sink() + " after version " + s.cursor()).toList());
            }
            if ( d != null )
                warnOrphanedReaders(c, d);
            for ( Source source : sources(c) ) {
                source.start();
                LOG.info("Dataset '{}': source '{}' started ({})", c.datasetName(), source.name(), source.status().state());
            }
            Follower f = follower(c);
            if ( f != null )
                f.start();
        }
    }

    /** Readers left behind by sinks since removed from the configuration keep the log from retention until an admin removes them. */
    private static void warnOrphanedReaders(CapturingDatasetGraph c, Dispatcher d) {
        for ( OrphanedReaders.Orphan r : OrphanedReaders.find(c.changeLog(), d) )
            LOG.warn("Dataset '{}': change log reader '{}' (acknowledged version {}) belongs to no configured sink, and keeps {} version(s), {} bytes,"
                     + " from retention. If its sink was removed from the configuration, remove the reader: DELETE {}/{}/readers/{}"
                     + " (see docs/operations.md); if the sink was renamed, give it back its old cdc:name to continue from that version.",
                     c.datasetName(), r.name(), r.acknowledged(), r.heldVersions(), r.heldBytes(), STATUS_PATH, c.datasetName(), r.name());
    }

    /** Meters in Fuseki's own registry, when the server has one ({@code --metrics}, {@code enableMetrics(true)}). */
    private void bindMetrics(FusekiServer server) {
        meters.forEach(CdcMeters::close);
        meters.clear();
        if ( captured.isEmpty() )
            return;
        MetricsProvider provider = MetricsProvider.getMetricsProvider(server.getServletContext());
        if ( provider == null ) {
            LOG.info("fuseki-cdc: Fuseki metrics are off, so capture and sink metrics are not exported; start Fuseki with --metrics to have them at /$/metrics");
            return;
        }
        for ( CapturingDatasetGraph c : captured ) {
            CdcMeters m = CdcMeters.bind(provider.getMeterRegistry(), c, dispatcher(c));
            Follower f = follower(c);
            if ( f != null )
                m.bindFollower(f.status().source(), () -> f.status().lagVersions(), () -> f.status().lagMillis() / 1000.0);
            meters.add(m);
        }
    }

    @Override
    public void serverStopped(FusekiServer server) {
        meters.forEach(CdcMeters::close);
        meters.clear();
        for ( CapturingDatasetGraph c : captured ) {
            // Sources write into the dataset: stop them before anything else closes.
            for ( Source source : sources(c) )
                source.close();
            Follower f = follower(c);
            if ( f != null )
                f.close();
            Dispatcher d = dispatcher(c);
            if ( d != null )
                d.close();
            LiveEngines.close(c);
            FeedStreams.close(c);
            ResponseStreams.close(c);
            c.changeLog().close();
        }
    }

    static List<Source> sources(CapturingDatasetGraph dsg) {
        List<Source> sources = dsg.getContext().get(AssemblerCapturedDataset.SOURCES);
        return sources == null ? List.of() : sources;
    }

    static Dispatcher dispatcher(CapturingDatasetGraph dsg) {
        return dsg.getContext().get(AssemblerCapturedDataset.DISPATCHER);
    }

    static Follower follower(CapturingDatasetGraph dsg) {
        return dsg.getContext().get(AssemblerCapturedDataset.FOLLOWER);
    }
}
