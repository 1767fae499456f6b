package org.fusekicdc.fuseki.server;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

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
import org.fusekicdc.core.sink.internal.OrphanedReaders;
import org.fusekicdc.fuseki.access.AccessControlledEndpoints;
import org.fusekicdc.fuseki.access.CorsFilter;
import org.fusekicdc.fuseki.admin.CdcAdminServlet;
import org.fusekicdc.fuseki.config.AllowedOrigins;
import org.fusekicdc.fuseki.config.CdcOperations;
import org.fusekicdc.fuseki.feed.ChangeFeedService;
import org.fusekicdc.fuseki.history.HistoryService;
import org.fusekicdc.fuseki.follow.SnapshotService;
import org.fusekicdc.fuseki.ldes.LdesService;
import org.fusekicdc.fuseki.history.AsOfReads;
import org.fusekicdc.fuseki.http.RequestAttributes;
import org.fusekicdc.fuseki.live.LiveQueryService;
import org.fusekicdc.fuseki.metrics.CdcMeters;
import org.fusekicdc.fuseki.runtime.CapturedService;
import org.fusekicdc.fuseki.runtime.DatasetRuntime;
import org.fusekicdc.fuseki.runtime.DatasetRuntimes;
import org.slf4j.Logger;

/**
 * The fuseki-cdc Fuseki module, found by ServiceLoader. Datasets described as
 * {@code cdc:CapturedDataset} are built by the assembler; this module checks the configuration
 * file up front (so errors carry line numbers), attaches request attributes (user, request id)
 * to captured patches, starts each captured dataset's runtime ({@link DatasetRuntime}) with the
 * server and closes it when the server stops. A server without
 * {@code cdc:} configuration is left exactly as it was.
 */
public class FMod_FusekiCdc implements FusekiAutoModule {
    // Fuseki's own configuration logger, so that the start-up summary shows with Fuseki's default logging setup.
    private static final Logger LOG = Fuseki.configLog;

    /** The status endpoint: capture, change logs and sinks of every captured dataset, as JSON. */
    public static final String STATUS_PATH = "/$/cdc";

    private static final List<Operation> CDC_OPERATIONS = List.of(CdcOperations.CHANGES, CdcOperations.LIVE, CdcOperations.SNAPSHOT,
                                                                       CdcOperations.LDES, CdcOperations.HISTORY);

    // One module instance serves every server in the JVM: what runs is kept per server, from its start to its stop.
    private final Map<FusekiServer, Running> running = new ConcurrentHashMap<>();
    private CorsFilter cors;

    /** The captured datasets a server started, and the meters bound to its registry. */
    private record Running(List<DatasetRuntime> runtimes, List<CdcMeters> meters) {}

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
        serverBuilder.registerOperation(CdcOperations.LDES, new LdesService());
        serverBuilder.registerOperation(CdcOperations.HISTORY, new HistoryService());
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
        List<DatasetRuntime> captured = new ArrayList<>();
        List<CapturedService> services = new ArrayList<>();
        cors = null;
        Map<String, AllowedOrigins> corsEndpoints = new HashMap<>();
        for ( DataAccessPoint dap : dapRegistry.accessPoints() ) {
            // The captured dataset itself, or behind an access:AccessControlledDataset.
            DatasetRuntime c = DatasetRuntimes.find(dap.getDataService().getDataset());
            for ( Operation op : CDC_OPERATIONS ) {
                if ( !dap.getDataService().getEndpoints(op).isEmpty() && c == null )
                    throw new CdcConfigException("Service " + dap.getName() + " has a " + op.getName() + " endpoint but its dataset is not a"
                                                 + " cdc:CapturedDataset. Wrap the dataset in a cdc:CapturedDataset (see docs/configuration.md) or remove the endpoint.");
                if ( c != null )
                    dap.getDataService().getEndpoints(op).forEach(ep -> corsEndpoints.put(CapturedService.path(dap, ep), c.liveSettings().allowedOrigins()));
            }
            if ( c != null ) {
                if ( !captured.contains(c) )
                    captured.add(c);
                services.add(CapturedService.of(dap, c));
                LOG.info("Dataset '{}': capture on for {} (change log {}, head version {})", c.name(), dap.getName(),
                         c.log().config().directory(), c.log().headVersion());
            }
        }
        if ( !captured.isEmpty() ) {
            serverBuilder.addFilter("/*", new RequestAttributes());
            serverBuilder.addFilter("/*", new ReplicaReadFilter(List.copyOf(services), STATUS_PATH));
            Map<String, AllowedOrigins> corsDatasets = new HashMap<>();
            captured.forEach(c -> corsDatasets.put(c.name(), c.liveSettings().allowedOrigins()));
            cors = new CorsFilter(corsEndpoints, corsDatasets, STATUS_PATH);
            serverBuilder.addServlet(STATUS_PATH, new CdcStatusServlet(List.copyOf(services), STATUS_PATH + "/dashboard"));
            serverBuilder.addServlet(STATUS_PATH + "/*", new CdcAdminServlet(List.copyOf(services)));
        }
    }

    @Override
    public void serverBeforeStarting(FusekiServer server) {
        AccessControlledEndpoints.restore(server, CDC_OPERATIONS);
        // After the restore: on access-controlled services the query and read-only GSP processors are Jena's own, which as-of reads wrap.
        AsOfReads.install(server);
        if ( cors != null )
            cors.installFirst(server);
        List<DatasetRuntime> runtimes = runtimes(server);
        // Jetty's WebSocket support only where live queries can be served: a server without captured datasets stays as it was.
        if ( !runtimes.isEmpty() )
            LiveQueryService.enableWebSockets(server);
        // Meters first, so that they count from the first change a source or a follower writes.
        running.put(server, new Running(runtimes, bindMetrics(server, runtimes)));
        for ( DatasetRuntime runtime : runtimes ) {
            runtime.start();
            warnOrphanedReaders(runtime);
        }
    }

    /** The captured datasets the server serves, each once. */
    private static List<DatasetRuntime> runtimes(FusekiServer server) {
        List<DatasetRuntime> runtimes = new ArrayList<>();
        for ( DataAccessPoint dap : server.getDataAccessPointRegistry().accessPoints() ) {
            DatasetRuntime r = DatasetRuntimes.find(dap.getDataService().getDataset());
            if ( r != null && !runtimes.contains(r) )
                runtimes.add(r);
        }
        return runtimes;
    }

    /** Readers left behind by sinks since removed from the configuration keep the log from retention until an admin removes them. */
    private static void warnOrphanedReaders(DatasetRuntime c) {
        for ( OrphanedReaders.Orphan r : OrphanedReaders.find(c.log(), c.sinks()) )
            LOG.warn("Dataset '{}': change log reader '{}' (acknowledged version {}) belongs to no configured sink, and keeps {} version(s), {} bytes,"
                     + " from retention. If its sink was removed from the configuration, remove the reader: DELETE {}/{}/readers/{}"
                     + " (see docs/operations.md); if the sink was renamed, give it back its old cdc:name to continue from that version.",
                     c.name(), r.name(), r.acknowledged(), r.heldVersions(), r.heldBytes(), STATUS_PATH, c.name(), r.name());
    }

    /** Meters in Fuseki's own registry, when the server has one ({@code --metrics}, {@code enableMetrics(true)}). */
    private static List<CdcMeters> bindMetrics(FusekiServer server, List<DatasetRuntime> runtimes) {
        if ( runtimes.isEmpty() )
            return List.of();
        MetricsProvider provider = MetricsProvider.getMetricsProvider(server.getServletContext());
        if ( provider == null ) {
            LOG.info("fuseki-cdc: Fuseki metrics are off, so capture and sink metrics are not exported; start Fuseki with --metrics to have them at /$/metrics");
            return List.of();
        }
        return runtimes.stream().map(r -> CdcMeters.bind(provider.getMeterRegistry(), r)).toList();
    }

    /** Unbind the meters, then close each captured dataset in order (its sources and follower first, its change log last). */
    @Override
    public void serverStopped(FusekiServer server) {
        Running r = running.remove(server);
        if ( r == null )
            return;
        r.meters().forEach(CdcMeters::close);
        r.runtimes().forEach(DatasetRuntime::close);
    }
}
