using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;

namespace Facecast.CoreTests
{
    /// <summary>A child process (a pyzmq peer or `facecast serve`) whose stdout lines are collected,
    /// killed on Dispose.</summary>
    public sealed class PeerProcess : IDisposable
    {
        readonly Process _p;
        readonly List<string> _lines = new List<string>();
        readonly List<string> _err = new List<string>();

        public PeerProcess(string file, string args)
        {
            var psi = new ProcessStartInfo(file, args)
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
            };
            if (Env.Repo != null) psi.WorkingDirectory = Env.Repo;
            _p = Process.Start(psi);
            _p.OutputDataReceived += (s, e) => { if (e.Data != null) lock (_lines) { _lines.Add(e.Data); Monitor.PulseAll(_lines); } };
            _p.ErrorDataReceived += (s, e) => { if (e.Data != null) lock (_err) _err.Add(e.Data); };
            _p.BeginOutputReadLine();
            _p.BeginErrorReadLine();
        }

        public static PeerProcess Python(string args)
        {
            return new PeerProcess(Env.Require(Env.Python, "--python"), args);
        }

        public static PeerProcess Peer(string mode, string extra = "")
        {
            return Python("-u " + Env.Require(Env.Peers, "--peers") + " " + mode + " " + extra);
        }

        /// <summary>Waits for a stdout line starting with prefix and returns it.</summary>
        public string WaitLine(string prefix, int timeoutMs = 20000)
        {
            int deadline = Environment.TickCount + timeoutMs;
            lock (_lines)
            {
                while (true)
                {
                    foreach (var l in _lines) if (l.StartsWith(prefix, StringComparison.Ordinal)) return l;
                    int left = deadline - Environment.TickCount;
                    if (left <= 0 || _p.HasExited && !Pending())
                        throw new AssertionException("no line starting '" + prefix + "' from the peer; stdout: " + string.Join(" | ", _lines) + " stderr: " + Stderr());
                    Monitor.Wait(_lines, Math.Min(left, 200));
                }
            }
        }

        bool Pending() { return false; }

        public List<string> Lines(string prefix)
        {
            var r = new List<string>();
            lock (_lines) foreach (var l in _lines) if (l.StartsWith(prefix, StringComparison.Ordinal)) r.Add(l);
            return r;
        }

        public string Stderr()
        {
            lock (_err) return string.Join("\n", _err);
        }

        public int Port() { return int.Parse(WaitLine("PORT ").Substring(5)); }

        public void Send(string line)
        {
            _p.StandardInput.WriteLine(line);
            _p.StandardInput.Flush();
        }

        /// <summary>Closes stdin and waits for the process to end by itself; fails if it does not
        /// or if it exits non-zero (with its stderr in the message).</summary>
        public void WaitExit(int timeoutMs)
        {
            try { _p.StandardInput.Close(); } catch (Exception) { }
            if (!_p.WaitForExit(timeoutMs)) { Kill(); throw new AssertionException("the process did not finish in " + timeoutMs + " ms: " + Stderr()); }
            _p.WaitForExit();
            if (_p.ExitCode != 0) throw new AssertionException("the process exited with " + _p.ExitCode + ": " + Stderr());
        }

        public void Kill()
        {
            try { if (!_p.HasExited) _p.Kill(); } catch (InvalidOperationException) { }
            _p.WaitForExit(5000);
        }

        public void Dispose()
        {
            try { _p.StandardInput.Close(); } catch (Exception) { }
            if (!_p.WaitForExit(1500)) Kill();
        }
    }
}
