import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.velocity.Template;
import org.apache.velocity.VelocityContext;
import org.apache.velocity.exception.ParseErrorException;
import org.apache.velocity.runtime.RuntimeInstance;
import org.apache.velocity.runtime.parser.ParseException;
import org.apache.velocity.runtime.parser.node.SimpleNode;

/**
 * Reference renderer: renders Velocity templates with Apache Velocity 1.7 in its
 * default configuration, so other engines can be compared against it.
 *
 * <pre>
 * Single template:
 *   VelocityRender [options] TEMPLATE_FILE [CONTEXT_JSON_FILE]
 *     Prints the output to stdout exactly (UTF-8, nothing added). On a parse or
 *     render error prints "ExceptionClass: message" to stderr and exits 1.
 *
 * Batch:
 *   VelocityRender --batch [options] &lt; cases.jsonl &gt; results.jsonl
 *     Each input line: {"id": ANY, "template": "...", "context": {...}}
 *       optional: "properties": {"runtime.references.strict": "true", ...}
 *                 "mode": "template" | "evaluate"
 *                 "session": "name"   (consecutive cases with the same session share
 *                                      one engine and one context, like the cases of
 *                                      one Velocity unit-test method)
 *     Each output line: {"id": ANY, "ok": true, "output": "..."}
 *                    or {"id": ANY, "ok": false, "error": "ExceptionClass: message"}
 *     Every case gets a new engine and a new context unless it continues a session.
 *
 * Options:
 *   --library FILE    load FILE as the global macro library (velocimacro.library)
 *   --mode template   (default) parse the text into a Template and merge it, as
 *                     a template loaded from a file would be
 *   --mode evaluate   use RuntimeInstance.evaluate, as Velocity's own assertEvalEquals
 *                     unit tests (and Velocity.evaluate callers) do
 *   --prop KEY=VALUE  set an engine property (repeatable; applied after the defaults)
 *   --timeout-ms N    batch only: give up on a case after N ms (default 10000, 0 = never)
 * </pre>
 *
 * Engine settings, on top of Velocity 1.7's defaults (runtime.references.strict=false
 * etc., velocity.properties inside velocity.jar):
 * runtime.log.logsystem.class=NullLogChute, foreach.provide.scope.control=true,
 * input.encoding=output.encoding=UTF-8, and velocimacro.library set to the --library
 * file name (or to "" so no VM_global_library.vm is picked up from the working
 * directory). file.resource.loader.path is the library's directory followed by the
 * template's directory (single mode), so #parse/#include work relative to those.
 */
public final class VelocityRender {

    private VelocityRender() {}

    /** Engine-wide options shared by every case of a run. */
    static final class Options {
        String library;                       // absolute path or null
        String mode = "template";
        Map<String, Object> props = new LinkedHashMap<String, Object>();
        long timeoutMs = 10000;
    }

    // ------------------------------------------------------------------ engine

    /**
     * Creates and initialises a fresh engine.
     *
     * @param templateDir directory for #parse/#include lookups, or null
     */
    static RuntimeInstance newEngine(Options opt, String templateDir, Map<String, Object> caseProps)
            throws Exception {
        RuntimeInstance ri = new RuntimeInstance();
        ri.setProperty("runtime.log.logsystem.class", "org.apache.velocity.runtime.log.NullLogChute");
        ri.setProperty("foreach.provide.scope.control", "true");
        ri.setProperty("input.encoding", "UTF-8");
        ri.setProperty("output.encoding", "UTF-8");

        // The library's directory comes first so that velocimacro.library always
        // names the file given, even if the template's directory has one of that name.
        List<String> paths = new ArrayList<String>();
        if (opt.library != null) {
            File lib = new File(opt.library).getAbsoluteFile();
            paths.add(lib.getParent());
            ri.setProperty("velocimacro.library", lib.getName());
        } else {
            // Not null, so Velocity does not go looking for VM_global_library.vm.
            ri.setProperty("velocimacro.library", "");
        }
        if (templateDir != null && !paths.contains(templateDir)) {
            paths.add(templateDir);
        }
        if (paths.isEmpty()) {
            paths.add(".");
        }
        ri.setProperty("file.resource.loader.path", paths.get(0));
        for (int i = 1; i < paths.size(); i++) {
            ri.addProperty("file.resource.loader.path", paths.get(i));
        }
        applyProps(ri, opt.props);
        if (caseProps != null) {
            applyProps(ri, caseProps);
        }
        ri.init();
        return ri;
    }

    private static void applyProps(RuntimeInstance ri, Map<String, Object> props) {
        for (Map.Entry<String, Object> e : props.entrySet()) {
            Object v = e.getValue();
            if (v instanceof List) {
                List<?> l = (List<?>) v;
                ri.clearProperty(e.getKey());
                for (Object o : l) {
                    ri.addProperty(e.getKey(), String.valueOf(o));
                }
            } else {
                ri.setProperty(e.getKey(), v == null ? "" : String.valueOf(v));
            }
        }
    }

    /** Fills a new VelocityContext from a parsed JSON object (null values are kept as null). */
    static VelocityContext newContext(Map<String, Object> values) {
        VelocityContext ctx = new VelocityContext();
        if (values != null) {
            for (Map.Entry<String, Object> e : values.entrySet()) {
                ctx.put(e.getKey(), e.getValue());
            }
        }
        return ctx;
    }

    /**
     * Parses the text into a Template the way Template.process() does for a file, so
     * errors look the same (ParseErrorException), then merges it.
     */
    static Template compile(RuntimeInstance ri, String text, String name) throws Exception {
        SimpleNode node;
        try {
            node = ri.parse(new StringReader(text), name);
        } catch (ParseException pex) {
            throw new ParseErrorException(pex, name);
        }
        Template t = new Template();
        t.setRuntimeServices(ri);
        t.setName(name);
        t.setEncoding("UTF-8");
        t.setData(node);
        try {
            t.initDocument();
        } catch (org.apache.velocity.exception.TemplateInitException tie) {
            throw new ParseErrorException(tie, name);
        }
        return t;
    }

    static String render(RuntimeInstance ri, String mode, String text, String name, VelocityContext ctx)
            throws Exception {
        StringWriter w = new StringWriter(Math.max(256, text.length() * 2));
        if ("evaluate".equals(mode)) {
            ri.evaluate(ctx, w, name, new StringReader(text));
        } else if ("template".equals(mode)) {
            compile(ri, text, name).merge(ctx, w);
        } else {
            throw new IllegalArgumentException("unknown mode '" + mode + "' (use template or evaluate)");
        }
        return w.toString();
    }

    static String describe(Throwable t) {
        String msg = t.getMessage();
        String cls = t.getClass().getSimpleName();
        if (cls.isEmpty()) {
            cls = t.getClass().getName();
        }
        String out = msg == null ? cls : cls + ": " + msg;
        Throwable cause = t.getCause();
        if (cause != null && cause != t) {
            String cm = cause.getMessage();
            if (msg == null || cm == null || !msg.contains(cm)) {
                out += "; caused by " + describe(cause);
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ CLI

    private static void usage(String problem) {
        if (problem != null) {
            System.err.println("VelocityRender: " + problem);
        }
        System.err.println("usage: VelocityRender [--library MACROS.vm] [--mode template|evaluate] [--prop K=V]... TEMPLATE_FILE [CONTEXT_JSON_FILE]");
        System.err.println("       VelocityRender --batch [--library MACROS.vm] [--mode template|evaluate] [--prop K=V]... [--timeout-ms N] < cases.jsonl");
        System.exit(2);
    }

    public static void main(String[] args) throws Exception {
        Options opt = new Options();
        boolean batch = false;
        List<String> positional = new ArrayList<String>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--batch")) {
                batch = true;
            } else if (a.equals("--library") || a.equals("--mode") || a.equals("--prop")
                    || a.equals("--timeout-ms")) {
                if (i + 1 >= args.length) {
                    usage(a + " needs a value");
                }
                String v = args[++i];
                if (a.equals("--library")) {
                    File f = new File(v);
                    if (!f.isFile()) {
                        usage("library file not found: " + v);
                    }
                    opt.library = f.getAbsolutePath();
                } else if (a.equals("--mode")) {
                    if (!v.equals("template") && !v.equals("evaluate")) {
                        usage("--mode must be template or evaluate");
                    }
                    opt.mode = v;
                } else if (a.equals("--prop")) {
                    int eq = v.indexOf('=');
                    if (eq <= 0) {
                        usage("--prop needs KEY=VALUE");
                    }
                    opt.props.put(v.substring(0, eq), v.substring(eq + 1));
                } else {
                    opt.timeoutMs = Long.parseLong(v);
                }
            } else if (a.equals("-h") || a.equals("--help")) {
                usage(null);
            } else if (a.startsWith("--")) {
                usage("unknown option " + a);
            } else {
                positional.add(a);
            }
        }
        if (batch) {
            if (!positional.isEmpty()) {
                usage("--batch takes no file arguments");
            }
            System.exit(runBatch(opt));
        }
        if (positional.isEmpty() || positional.size() > 2) {
            usage(null);
        }
        System.exit(runSingle(opt, positional.get(0), positional.size() > 1 ? positional.get(1) : null));
    }

    @SuppressWarnings("unchecked")
    private static int runSingle(Options opt, String templatePath, String contextPath) {
        try {
            File tf = new File(templatePath).getAbsoluteFile();
            String text = new String(Files.readAllBytes(tf.toPath()), StandardCharsets.UTF_8);
            Map<String, Object> ctxValues = null;
            if (contextPath != null) {
                String json = new String(Files.readAllBytes(new File(contextPath).toPath()), StandardCharsets.UTF_8);
                Object parsed = Json.parse(json);
                if (!(parsed instanceof Map)) {
                    throw new IllegalArgumentException("context JSON must be an object");
                }
                ctxValues = (Map<String, Object>) parsed;
            }
            RuntimeInstance ri = newEngine(opt, tf.getParent(), null);
            String out = render(ri, opt.mode, text, tf.getName(), newContext(ctxValues));
            System.out.write(out.getBytes(StandardCharsets.UTF_8));
            System.out.flush();
            return 0;
        } catch (Throwable t) {
            System.out.flush();
            System.err.println(describe(t));
            return 1;
        }
    }

    // ------------------------------------------------------------------ batch

    /** State carried between the cases of one session. */
    private static final class Session {
        String name;
        RuntimeInstance engine;
        VelocityContext context;
    }

    private static final ThreadFactory WORKERS = new ThreadFactory() {
        public Thread newThread(Runnable r) {
            // 64 MB of stack: deep templates fail with a StackOverflowError
            // (reported) rather than silently differing by platform defaults.
            Thread t = new Thread(null, r, "velocity-case", 64L << 20);
            t.setDaemon(true);
            return t;
        }
    };

    private static int runBatch(final Options opt) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        Writer out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8));
        ExecutorService exec = Executors.newSingleThreadExecutor(WORKERS);
        final Thread[] worker = new Thread[1];
        final Session session = new Session();
        String line;
        while ((line = in.readLine()) != null) {
            if (line.trim().isEmpty()) {
                continue;
            }
            final String caseLine = line;
            final Object[] idHolder = new Object[1];
            StringBuilder sb = new StringBuilder(256);
            Future<String> fut = exec.submit(() -> {
                worker[0] = Thread.currentThread();
                return runCase(opt, caseLine, idHolder, session);
            });
            String result;
            try {
                result = opt.timeoutMs > 0 ? fut.get(opt.timeoutMs, TimeUnit.MILLISECONDS) : fut.get();
                sb.append("{\"id\":");
                Json.write(sb, idHolder[0]);
                sb.append(",\"ok\":true,\"output\":");
                Json.quote(sb, result);
                sb.append('}');
            } catch (TimeoutException te) {
                fut.cancel(true);
                killWorker(worker[0]);
                exec.shutdownNow();
                exec = Executors.newSingleThreadExecutor(WORKERS);
                session.name = null;
                session.engine = null;
                session.context = null;
                errorLine(sb, idHolder[0], "TimeoutException: case took longer than " + opt.timeoutMs + " ms");
            } catch (ExecutionException ee) {
                errorLine(sb, idHolder[0], describe(ee.getCause() != null ? ee.getCause() : ee));
            } catch (Throwable t) {
                errorLine(sb, idHolder[0], describe(t));
            }
            sb.append('\n');
            out.write(sb.toString());
            out.flush();
        }
        exec.shutdownNow();
        return 0;
    }

    @SuppressWarnings({"deprecation", "removal"})
    private static void killWorker(Thread t) {
        if (t == null) {
            return;
        }
        try {
            t.stop(); // works on Java 17; a runaway template cannot be interrupted otherwise
        } catch (Throwable ignored) {
            System.err.println("VelocityRender: could not stop a timed-out case; it keeps running in the background");
        }
    }

    private static void errorLine(StringBuilder sb, Object id, String error) {
        sb.setLength(0);
        sb.append("{\"id\":");
        Json.write(sb, id);
        sb.append(",\"ok\":false,\"error\":");
        Json.quote(sb, error);
        sb.append('}');
    }

    @SuppressWarnings("unchecked")
    private static String runCase(Options opt, String line, Object[] idHolder, Session session) throws Exception {
        Object parsed = Json.parse(line);
        if (!(parsed instanceof Map)) {
            throw new IllegalArgumentException("case must be a JSON object");
        }
        Map<String, Object> c = (Map<String, Object>) parsed;
        idHolder[0] = c.get("id");
        Object template = c.get("template");
        if (!(template instanceof String)) {
            throw new IllegalArgumentException("case needs a string \"template\"");
        }
        Object ctxObj = c.get("context");
        if (ctxObj != null && !(ctxObj instanceof Map)) {
            throw new IllegalArgumentException("\"context\" must be an object");
        }
        Object propsObj = c.get("properties");
        if (propsObj != null && !(propsObj instanceof Map)) {
            throw new IllegalArgumentException("\"properties\" must be an object");
        }
        String mode = opt.mode;
        if (c.get("mode") != null) {
            mode = String.valueOf(c.get("mode"));
        }
        Object sessObj = c.get("session");
        String sess = sessObj == null ? null : String.valueOf(sessObj);

        RuntimeInstance ri;
        VelocityContext ctx;
        if (sess != null && sess.equals(session.name) && session.engine != null) {
            ri = session.engine;
            ctx = session.context;
            if (ctxObj != null) {
                for (Map.Entry<String, Object> e : ((Map<String, Object>) ctxObj).entrySet()) {
                    ctx.put(e.getKey(), e.getValue());
                }
            }
        } else {
            session.name = null;
            session.engine = null;
            session.context = null;
            ri = newEngine(opt, null, (Map<String, Object>) propsObj);
            ctx = newContext((Map<String, Object>) ctxObj);
            if (sess != null) {
                session.name = sess;
                session.engine = ri;
                session.context = ctx;
            }
        }
        return render(ri, mode, (String) template, "batch.vm", ctx);
    }
}
