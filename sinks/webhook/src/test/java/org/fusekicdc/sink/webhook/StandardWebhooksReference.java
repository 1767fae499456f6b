package org.fusekicdc.sink.webhook;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.fusekicdc.core.testing.TestSupport;

/**
 * The Standard Webhooks reference implementation (npm {@code standardwebhooks}), run with the
 * machine's Node.js: installed by the first test that needs it into
 * {@code ~/.cache/fuseki-cdc/npm/standardwebhooks-<version>}.
 */
final class StandardWebhooksReference {
    static final String VERSION = "1.1.1";

    private StandardWebhooksReference() {}

    /** The node_modules directory holding the package, or a skip (a failure under CI=true) when Node.js or npm is missing. */
    static Path install() throws IOException, InterruptedException {
        for ( String tool : List.of("node", "npm") ) {
            if ( !onPath(tool) )
                TestSupport.skipOrFail(tool + " is not on PATH; the Standard Webhooks test runs the npm package standardwebhooks with Node.js"
                                       + " (apt-get install nodejs npm).");
        }
        Path prefix = Path.of(System.getProperty("user.home"), ".cache", "fuseki-cdc", "npm", "standardwebhooks-" + VERSION);
        Path modules = prefix.resolve("node_modules");
        if ( Files.isRegularFile(modules.resolve("standardwebhooks").resolve("package.json")) )
            return modules;
        Files.createDirectories(prefix);
        Process p = new ProcessBuilder("npm", "install", "--no-audit", "--no-fund", "--prefix", prefix.toString(), "standardwebhooks@" + VERSION)
            .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if ( !p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0 )
            TestSupport.skipOrFail("npm install standardwebhooks@" + VERSION + " into " + prefix + " failed: " + out);
        return modules;
    }

    /** Verify each request (headers, body) with the reference implementation: "ok" or "refused: ..." per request. */
    static List<String> verify(Path modules, Path work, String secret, List<Map<String, String>> headers, List<byte[]> bodies)
            throws IOException, InterruptedException {
        Files.createDirectories(work);
        Path script = work.resolve("verify-standard-webhooks.js");
        try (var in = StandardWebhooksReference.class.getResourceAsStream("/verify-standard-webhooks.js")) {
            Files.write(script, in.readAllBytes());
        }
        StringBuilder json = new StringBuilder("{\"secret\":\"").append(secret).append("\",\"requests\":[");
        for ( int i = 0 ; i < bodies.size() ; i++ ) {
            if ( i > 0 )
                json.append(',');
            json.append("{\"headers\":{");
            boolean first = true;
            for ( Map.Entry<String, String> e : headers.get(i).entrySet() ) {
                if ( !first )
                    json.append(',');
                first = false;
                json.append('"').append(e.getKey()).append("\":\"").append(e.getValue().replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
            }
            json.append("},\"body\":\"").append(Base64.getEncoder().encodeToString(bodies.get(i))).append("\"}");
        }
        json.append("]}");
        Path input = work.resolve("requests.json");
        Files.writeString(input, json);
        Process p = new ProcessBuilder("node", script.toString(), modules.toString(), input.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if ( !p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0 )
            throw new AssertionError("node " + script + " failed: " + out);
        return new ArrayList<>(out.lines().toList());
    }

    private static boolean onPath(String tool) {
        for ( String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator) ) {
            if ( Files.isExecutable(Path.of(dir, tool)) )
                return true;
        }
        return false;
    }
}
