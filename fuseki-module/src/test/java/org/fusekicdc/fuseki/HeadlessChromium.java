package org.fusekicdc.fuseki;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

import org.apache.jena.atlas.json.JSON;
import org.apache.jena.atlas.json.JsonArray;
import org.apache.jena.atlas.json.JsonObject;
import org.apache.jena.atlas.json.JsonValue;

/**
 * Test support: headless Chromium driven by ChromeDriver over the W3C WebDriver protocol
 * (plain JSON over HTTP, no client library). Chromium and ChromeDriver are Debian's
 * {@code chromium} and {@code chromium-driver} packages ({@code .ci/run} installs them).
 */
public final class HeadlessChromium implements AutoCloseable {
    public static final Path CHROMIUM = Path.of(System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium"));
    public static final Path CHROMEDRIVER = Path.of(System.getenv().getOrDefault("CHROMEDRIVER", "/usr/bin/chromedriver"));
    private static final String ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

    private final Process driver;
    private final String base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private String session;

    /** Whether both are installed; when not, {@link #missing()} says what to install. */
    public static boolean available() {
        return Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
    }

    public static String missing() {
        return "headless Chromium is not installed (" + CHROMIUM + ", " + CHROMEDRIVER
               + "): apt-get install -y chromium chromium-driver, or set CHROMIUM and CHROMEDRIVER";
    }

    /** Start ChromeDriver and a Chromium session with a fresh profile in {@code profileDir}. */
    public static HeadlessChromium start(Path profileDir) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Process p = new ProcessBuilder(CHROMEDRIVER.toString(), "--port=" + port, "--allowed-ips=127.0.0.1")
            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        HeadlessChromium c = new HeadlessChromium(p, "http://127.0.0.1:" + port);
        try {
            c.awaitDriver();
            c.newSession(profileDir);
            return c;
        } catch (Exception | Error ex) {
            c.close();
            throw ex;
        }
    }

    private HeadlessChromium(Process driver, String base) {
        this.driver = driver;
        this.base = base;
    }

    private void awaitDriver() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while ( true ) {
            try {
                JsonObject r = call("GET", "/status", null);
                if ( r.get("value").getAsObject().get("ready").getAsBoolean().value() )
                    return;
            } catch (UncheckedIOException notYet) {
                // Not listening yet.
            }
            if ( System.nanoTime() > deadline || !driver.isAlive() )
                throw new IllegalStateException("chromedriver did not start (" + CHROMEDRIVER + ")");
            Thread.sleep(100);
        }
    }

    private void newSession(Path profileDir) {
        JsonArray args = new JsonArray();
        for ( String a : List.of("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                                 "--disable-dev-shm-usage", "--window-size=1280,1100", "--user-data-dir=" + profileDir.toAbsolutePath()) )
            args.add(a);
        JsonObject chrome = new JsonObject();
        chrome.put("binary", CHROMIUM.toString());
        chrome.put("args", args);
        JsonObject always = new JsonObject();
        always.put("browserName", "chrome");
        always.put("goog:chromeOptions", chrome);
        JsonObject caps = new JsonObject();
        caps.put("alwaysMatch", always);
        JsonObject body = new JsonObject();
        body.put("capabilities", caps);
        session = call("POST", "/session", body).get("value").getAsObject().get("sessionId").getAsString().value();
    }

    public void open(String url) {
        JsonObject b = new JsonObject();
        b.put("url", url);
        call("POST", s("/url"), b);
    }

    /** The element matching a CSS selector, or null when there is none. */
    public String find(String css) {
        JsonObject b = new JsonObject();
        b.put("using", "css selector");
        b.put("value", css);
        JsonArray found = call("POST", s("/elements"), b).get("value").getAsArray();
        return found.isEmpty() ? null : found.get(0).getAsObject().get(ELEMENT).getAsString().value();
    }

    public void click(String element) {
        call("POST", s("/element/" + element + "/click"), new JsonObject());
    }

    /** Answer OK to the page's open {@code confirm()} or {@code prompt()} dialog. */
    public void acceptDialog() {
        call("POST", s("/alert/accept"), new JsonObject());
    }

    /** Replace the text of an input or textarea by typing. */
    public void type(String element, String text) {
        call("POST", s("/element/" + element + "/clear"), new JsonObject());
        JsonObject b = new JsonObject();
        b.put("text", text);
        call("POST", s("/element/" + element + "/value"), b);
    }

    /** The text content of the first element matching {@code css}, or null when there is none. */
    public String text(String css) {
        JsonObject b = new JsonObject();
        b.put("script", "const e = document.querySelector(arguments[0]); return e ? e.textContent : null;");
        JsonArray args = new JsonArray();
        args.add(css);
        b.put("args", args);
        JsonValue v = call("POST", s("/execute/sync"), b).get("value");
        return v == null || v.isNull() ? null : v.getAsString().value();
    }

    public void screenshot(Path file) throws IOException {
        String png = call("GET", s("/screenshot"), null).get("value").getAsString().value();
        Files.createDirectories(file.getParent());
        Files.write(file, Base64.getDecoder().decode(png));
    }

    private String s(String path) {
        return "/session/" + session + path;
    }

    private JsonObject call(String method, String path, JsonObject body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60));
        if ( body != null )
            b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(JSON.toStringFlat(body)));
        else
            b.method(method, HttpRequest.BodyPublishers.noBody());
        HttpResponse<String> r;
        try {
            r = http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
        JsonObject o = JSON.parse(r.body());
        if ( r.statusCode() != 200 )
            throw new WebDriverException(method + " " + path + ": " + r.statusCode() + " " + o.get("value"));
        return o;
    }

    /** A WebDriver command failed (for example a stale element after the page re-rendered). */
    public static final class WebDriverException extends RuntimeException {
        WebDriverException(String message) {
            super(message);
        }
    }

    @Override
    public void close() {
        try {
            if ( session != null )
                call("DELETE", "/session/" + session, null);
        } catch (RuntimeException ignore) {
            // The browser is going away anyway.
        } finally {
            driver.destroy();
            try {
                if ( !driver.waitFor(10, java.util.concurrent.TimeUnit.SECONDS) )
                    driver.destroyForcibly();
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
