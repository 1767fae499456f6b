package org.fusekicdc.fuseki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.spi.ToolProvider;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.fusekicdc.fuseki.server.FMod_FusekiCdc;
import org.junit.jupiter.api.Test;

/**
 * The packages of the module depend on each other in one direction only: settings
 * ({@code config}) at the bottom, the module hook ({@code server}) at the top, and between them
 * the HTTP pieces, the per-dataset runtime and the endpoints. The JDK's {@code jdeps} reads the
 * compiled classes, so every dependency the code has is seen, whatever its source says.
 */
class PackageCyclesTest {
    private static final String PREFIX = "org.fusekicdc.fuseki.";
    // A jdeps -verbose:package line: "   org.a.b    -> org.a.c    classes".
    private static final Pattern EDGE = Pattern.compile("^\\s+(\\S+)\\s+->\\s+(\\S+)\\s+\\S+\\s*$");

    @Test
    void theModulesPackagesHaveNoCycle() throws URISyntaxException {
        Map<String, Set<String>> deps = packageDependencies(Path.of(FMod_FusekiCdc.class.getProtectionDomain().getCodeSource().getLocation().toURI()));
        assertTrue(deps.getOrDefault("server", Set.of()).contains("runtime"), "jdeps saw the module's dependencies: " + deps);
        List<String> cycle = cycle(deps);
        assertNull(cycle, () -> "Package cycle in fuseki-module: " + String.join(" -> ", cycle)
                                + ". Move the class that points back into a lower package, or pass what it needs in. All dependencies: " + deps);
    }

    @Test
    void aCycleIsFoundAndNamed() {
        Map<String, Set<String>> deps = Map.of("server", Set.of("config"), "config", Set.of("live"), "live", Set.of("server"), "feed", Set.of("config"));
        List<String> cycle = cycle(deps);
        assertEquals(4, cycle.size(), String.valueOf(cycle));
        assertEquals(cycle.getFirst(), cycle.getLast(), "the cycle is closed: " + cycle);
        assertTrue(cycle.containsAll(List.of("server", "config", "live")), String.valueOf(cycle));
        assertNull(cycle(Map.of("server", Set.of("config", "live"), "live", Set.of("config"))), "a diamond is not a cycle");
    }

    /** The module's package graph, package names without the common prefix. */
    private static Map<String, Set<String>> packageDependencies(Path classes) {
        ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow(() -> new AssertionError("This JDK has no jdeps tool; run the tests on a full JDK."));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = jdeps.run(new PrintWriter(out), new PrintWriter(err), "-verbose:package", "-e", Pattern.quote(PREFIX) + ".*", classes.toString());
        assertEquals(0, rc, () -> "jdeps failed on " + classes + ": " + err + out);
        Map<String, Set<String>> deps = new TreeMap<>();
        for ( String line : out.toString().split("\\R") ) {
            Matcher m = EDGE.matcher(line);
            if ( m.matches() && m.group(1).startsWith(PREFIX) && m.group(2).startsWith(PREFIX) )
                deps.computeIfAbsent(m.group(1).substring(PREFIX.length()), k -> new TreeSet<>()).add(m.group(2).substring(PREFIX.length()));
        }
        return deps;
    }

    /** A cycle as the packages along it, the first repeated at the end; null when there is none. */
    private static List<String> cycle(Map<String, Set<String>> deps) {
        Set<String> done = new TreeSet<>();
        for ( String start : new TreeSet<>(deps.keySet()) ) {
            List<String> found = walk(start, deps, new ArrayList<>(), done);
            if ( found != null )
                return found;
        }
        return null;
    }

    private static List<String> walk(String pkg, Map<String, Set<String>> deps, List<String> path, Set<String> done) {
        int seen = path.indexOf(pkg);
        if ( seen >= 0 ) {
            List<String> cycle = new ArrayList<>(path.subList(seen, path.size()));
            cycle.add(pkg);
            return cycle;
        }
        if ( done.contains(pkg) )
            return null;
        path.add(pkg);
        for ( String next : new TreeSet<>(deps.getOrDefault(pkg, Set.of())) ) {
            List<String> found = walk(next, deps, path, done);
            if ( found != null )
                return found;
        }
        path.removeLast();
        done.add(pkg);
        return null;
    }
}
