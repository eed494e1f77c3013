using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Reflection;

namespace Facecast.CoreTests
{
    /// <summary>Marks a static test method: public static void Name().</summary>
    [AttributeUsage(AttributeTargets.Method)]
    public sealed class TestAttribute : Attribute { }

    public sealed class AssertionException : Exception
    {
        public AssertionException(string m) : base(m) { }
    }

    /// <summary>Assertions that say what was expected and what came.</summary>
    public static class Assert
    {
        public static void True(bool c, string what)
        {
            if (!c) throw new AssertionException(what);
        }

        public static void Equal<T>(T expected, T actual, string what = "")
        {
            if (!EqualityComparer<T>.Default.Equals(expected, actual))
                throw new AssertionException(what + ": expected <" + expected + ">, got <" + actual + ">");
        }

        public static void Near(double expected, double actual, double tol, string what = "")
        {
            if (!(Math.Abs(expected - actual) <= tol))
                throw new AssertionException(what + ": expected " + expected + " +- " + tol + ", got " + actual);
        }

        public static TEx Throws<TEx>(Action a, string what) where TEx : Exception
        {
            try { a(); }
            catch (TEx e) { return e; }
            catch (Exception e) { throw new AssertionException(what + ": expected " + typeof(TEx).Name + ", got " + e.GetType().Name + ": " + e.Message); }
            throw new AssertionException(what + ": expected " + typeof(TEx).Name + ", nothing was thrown");
        }

        public static void Contains(string needle, string hay, string what)
        {
            if (hay == null || hay.IndexOf(needle, StringComparison.Ordinal) < 0)
                throw new AssertionException(what + ": expected a message containing '" + needle + "', got '" + hay + "'");
        }
    }

    /// <summary>Settings from the command line (paths to fixtures, python, inputs).</summary>
    public static class Env
    {
        public static string Fixtures, Python, Peers, NamesOut, Portrait, Speech, Repo;
        public static readonly Dictionary<string, string> Args = new Dictionary<string, string>();

        public static string Require(string value, string flag)
        {
            if (string.IsNullOrEmpty(value)) throw new AssertionException("this test needs " + flag + " on the command line");
            return value;
        }
    }

    /// <summary>A small test runner for the engine-free core under mono: finds [Test] methods, runs
    /// each (optionally filtered), prints one line per test and closes with "N passed, N failed".</summary>
    public static class Program
    {
        public static int Main(string[] argv)
        {
            string filter = null;
            for (int i = 0; i < argv.Length; i += 2)
            {
                string k = argv[i], v = i + 1 < argv.Length ? argv[i + 1] : null;
                switch (k)
                {
                    case "--fixtures": Env.Fixtures = v; break;
                    case "--python": Env.Python = v; break;
                    case "--peers": Env.Peers = v; break;
                    case "--names-out": Env.NamesOut = v; break;
                    case "--portrait": Env.Portrait = v; break;
                    case "--speech": Env.Speech = v; break;
                    case "--repo": Env.Repo = v; break;
                    case "--filter": filter = v; break;
                    case "--bench": Bench.Run(); return 0;
                    default: Console.Error.WriteLine("unknown option " + k); return 2;
                }
            }
            var tests = new List<MethodInfo>();
            foreach (var t in Assembly.GetExecutingAssembly().GetTypes())
                foreach (var m in t.GetMethods(BindingFlags.Public | BindingFlags.Static))
                    if (m.GetCustomAttributes(typeof(TestAttribute), false).Length > 0)
                        tests.Add(m);
            tests.Sort((a, b) => string.CompareOrdinal(a.DeclaringType.Name + "." + a.Name, b.DeclaringType.Name + "." + b.Name));
            int passed = 0, failed = 0;
            foreach (var m in tests)
            {
                string name = m.DeclaringType.Name + "." + m.Name;
                if (filter != null && name.IndexOf(filter, StringComparison.OrdinalIgnoreCase) < 0) continue;
                var sw = Stopwatch.StartNew();
                try
                {
                    m.Invoke(null, null);
                    passed++;
                    Console.WriteLine("PASS " + name + " (" + sw.ElapsedMilliseconds + " ms)");
                }
                catch (TargetInvocationException e)
                {
                    failed++;
                    var inner = e.InnerException;
                    Console.WriteLine("FAIL " + name + " (" + sw.ElapsedMilliseconds + " ms): " + inner.GetType().Name + ": " + inner.Message);
                    if (!(inner is AssertionException)) Console.WriteLine(inner.StackTrace);
                }
            }
            Console.WriteLine(passed + " passed, " + failed + " failed");
            return failed == 0 ? 0 : 1;
        }
    }
}
