package org.fusekicdc.fuseki;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import org.apache.jena.fuseki.main.FusekiServer;
import org.apache.jena.rdfpatch.RDFPatch;
import org.apache.jena.rdfpatch.RDFPatchOps;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.tdb2.sys.TDBInternal;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.fuseki.runtime.DatasetRuntime;
import org.fusekicdc.fuseki.runtime.DatasetRuntimes;

/**
 * Test support: a real Fuseki server on a free port, configured from one of the files in
 * {@code config-examples/} with its {@code run/} paths moved into a test directory.
 */
public final class CdcFuseki implements AutoCloseable {
    public static final Path CONFIG_EXAMPLES = findConfigExamples();

    private final FusekiServer server;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private CdcFuseki(FusekiServer server) {
        this.server = server;
    }

    private static Path findConfigExamples() {
        Path p = Path.of("").toAbsolutePath();
        while ( p != null && !Files.isDirectory(p.resolve("config-examples")) )
            p = p.getParent();
        if ( p == null )
            throw new IllegalStateException("config-examples/ not found above " + Path.of("").toAbsolutePath());
        return p.resolve("config-examples");
    }

    /**
     * A config of dataset {@code ds} captured in {@code dir} (TDB2 store and change log), with a
     * query endpoint and {@code endpoints}; {@code datasetStatements} (sinks, cdc:follow...) each
     * end with ";".
     */
    public static String capturedDataset(Path dir, String endpoints, String datasetStatements) {
        return """
            PREFIX :       <#>
            PREFIX fuseki: <http://jena.apache.org/fuseki#>
            PREFIX tdb2:   <http://jena.apache.org/2016/tdb#>
            PREFIX cdc:    <https://w3id.org/fuseki-cdc#>
            :service a fuseki:Service ; fuseki:name "ds" ;
                fuseki:endpoint [ fuseki:operation fuseki:query ] ;
                %s
                fuseki:dataset :dataset .
            :dataset a cdc:CapturedDataset ;
                cdc:dataset [ a tdb2:DatasetTDB2 ; tdb2:location "%s/db" ] ;
                %s
                cdc:logDirectory "%s/changes" .
            """.formatted(endpoints, dir, datasetStatements, dir);
    }

    /** The example config's text with {@code run/} replaced by {@code workDir}. */
    public static String exampleConfig(String example, Path workDir) {
        try {
            String ttl = Files.readString(CONFIG_EXAMPLES.resolve(example), StandardCharsets.UTF_8);
            return ttl.replace("\"run/", "\"" + workDir.toAbsolutePath() + "/");
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** Start a server from config text; {@code customise} may adjust the builder (auth...). */
    public static CdcFuseki start(Path workDir, String configTtl, Consumer<FusekiServer.Builder> customise) {
        try {
            Files.createDirectories(workDir);
            Path config = workDir.resolve("config.ttl");
            Files.writeString(config, configTtl, StandardCharsets.UTF_8);
            FusekiServer.Builder b = FusekiServer.create().port(0).parseConfigFile(config.toString());
            customise.accept(b);
            return new CdcFuseki(b.build().start());
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * A Jetty password file that outlives the test's temporary directory: Jetty keeps watching
     * the file after the server stops, and complains at length when it disappears.
     */
    public static Path passwordFile(String lines) {
        try {
            Path dir = Files.createDirectories(Path.of("target", "passwd"));
            Path f = Files.createTempFile(dir, "passwd", "");
            Files.writeString(f, lines);
            return f.toAbsolutePath();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    public static CdcFuseki startQuickstart(Path workDir) {
        return start(workDir, exampleConfig("quickstart.ttl", workDir), b -> {});
    }

    public FusekiServer server() {
        return server;
    }

    public String url(String path) {
        return "http://localhost:" + server.getHttpPort() + path;
    }

    public CapturingDatasetGraph dataset(String name) {
        return runtime(name).dataset();
    }

    /** What the captured dataset of service {@code name} runs with: sinks, follower, live engine, streams. */
    public DatasetRuntime runtime(String name) {
        return DatasetRuntimes.find(server.getDataAccessPointRegistry().get("/" + name).getDataService().getDataset());
    }

    public HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return http.send(request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    public HttpResponse<String> post(String path, String contentType, String body) {
        return send(HttpRequest.newBuilder(URI.create(url(path))).header("Content-Type", contentType)
                               .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)));
    }

    public HttpResponse<String> put(String path, String contentType, String body) {
        return send(HttpRequest.newBuilder(URI.create(url(path))).header("Content-Type", contentType)
                               .PUT(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)));
    }

    public HttpResponse<String> delete(String path) {
        return send(HttpRequest.newBuilder(URI.create(url(path))).DELETE());
    }

    public HttpResponse<String> update(String dataset, String sparqlUpdate) {
        return post("/" + dataset + "/update", "application/sparql-update", sparqlUpdate);
    }

    /** Every patch of the dataset's change feed, read from {@code /<dataset>/changes} page by page. */
    public List<RDFPatch> feed(String dataset) {
        List<RDFPatch> out = new ArrayList<>();
        String after = "0";
        while ( true ) {
            HttpResponse<String> page = send(HttpRequest.newBuilder(URI.create(url("/" + dataset + "/changes?after=" + after + "&limit=1000"))).GET());
            if ( page.statusCode() != 200 )
                throw new IllegalStateException("GET /" + dataset + "/changes?after=" + after + ": HTTP " + page.statusCode() + ": " + page.body());
            out.addAll(patches(page.body()));
            after = page.headers().firstValue("X-CDC-Last-Version").orElseThrow();
            if ( after.equals(page.headers().firstValue("X-CDC-Head-Version").orElseThrow()) )
                return out;
        }
    }

    /** The patches of a change feed page (text), one after the other. */
    public static List<RDFPatch> patches(String text) {
        List<RDFPatch> out = new ArrayList<>();
        StringBuilder one = new StringBuilder();
        for ( String line : text.split("\n") ) {
            one.append(line).append('\n');
            if ( line.startsWith("TC") ) {
                out.add(RDFPatchOps.read(new ByteArrayInputStream(one.toString().getBytes(StandardCharsets.UTF_8))));
                one.setLength(0);
            }
        }
        return out;
    }

    @Override
    public void close() {
        var accessPoints = server.getDataAccessPointRegistry().accessPoints();
        server.stop();
        closeDatasets(accessPoints);
    }

    /** Close the change logs and release the TDB2 databases of a server's captured datasets. */
    public static void closeDatasets(java.util.Collection<org.apache.jena.fuseki.server.DataAccessPoint> accessPoints) {
        accessPoints.forEach(dap -> {
            DatasetRuntime r = DatasetRuntimes.find(dap.getDataService().getDataset());
            if ( r != null && !r.log().isClosed() ) {
                r.log().close();
                DatasetGraph base = r.dataset().getWrapped();
                if ( TDBInternal.isTDB2(base) )
                    TDBInternal.expel(base);
            }
        });
    }
}
