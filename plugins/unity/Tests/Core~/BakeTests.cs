using System;
using System.IO;

namespace Facecast.CoreTests
{
    public static class BakeTests
    {
        const string Small = "{\"format\": \"facecast-motion\", \"version\": 1, \"fps\": 10, \"audio\": \"line1.wav\", " +
            "\"frames\": [\n{\"t\":0.0,\"blendshapes\":{\"jawOpen\":0.0},\"visemes\":{\"aa\":0.0},\"head\":{\"yaw\":0},\"emotion\":{\"label\":\"happy\",\"intensity\":0.5}},\n" +
            "{\"t\":0.1,\"blendshapes\":{\"jawOpen\":1.0},\"visemes\":{\"aa\":0.5},\"head\":{\"yaw\":10,\"scale\":1.2},\"gaze\":{\"left\":{\"yaw\":2,\"pitch\":-1},\"right\":{\"yaw\":3,\"pitch\":1}},\"emotion\":{\"label\":\"happy\",\"intensity\":1.0}}\n], \"frame_count\": 2}";

        [Test]
        public static void JsonBakeReadsAndSamplesBetweenFrames()
        {
            var b = BakeFile.Parse(Small);
            Assert.Equal(10.0, b.Fps, "fps");
            Assert.Equal(2, b.Frames.Count, "frames");
            Assert.Equal("line1.wav", (string)b.Meta["audio"], "meta kept");
            Assert.Near(0.2, b.Duration, 1e-9, "duration");
            var m = new FaceMotion();
            b.Sample(0.05, m);
            Assert.Near(0.5, m["jawOpen"], 1e-6, "halfway jaw");
            Assert.Near(5.0, m.HeadYaw, 1e-5, "halfway yaw");
            Assert.Near(1.1, m.HeadScale, 1e-5, "halfway scale (missing scale reads as 1)");
            Assert.Near(0.75, m.EmotionIntensity, 1e-6, "intensity");
            b.Sample(5.0, m);
            Assert.Equal(1f, m["jawOpen"], "held at the end");
            Assert.Equal(3f, m.GazeRightYaw, "gaze");
            b.Sample(-1, m);
            Assert.Equal(0f, m["jawOpen"], "held at the start");
        }

        [Test]
        public static void BadBakeFilesGetClearErrors()
        {
            Assert.Contains("not a facecast bake file", Assert.Throws<FormatException>(() => BakeFile.Parse("{\"fps\": 10, \"frames\": []}"), "no format").Message, "format");
            Assert.Contains("version 2", Assert.Throws<FormatException>(() => BakeFile.Parse(Small.Replace("\"version\": 1", "\"version\": 2")), "version").Message, "version");
            Assert.Contains("line 3", Assert.Throws<FormatException>(() => BakeFile.Parse(Small.Replace("\"t\":0.1,", "\"t\":0.1,,")), "syntax").Message, "line");
            Assert.Contains("unknown blendshape 'jawOpenn'", Assert.Throws<FormatException>(() => BakeFile.Parse(Small.Replace("\"jawOpen\":1.0", "\"jawOpenn\":1.0")), "name").Message, "name");
            Assert.Contains("fps", Assert.Throws<FormatException>(() => BakeFile.Parse(Small.Replace("\"fps\": 10", "\"fps\": 0")), "fps").Message, "fps");
            Assert.Throws<FormatException>(() => BakeFile.Parse(Small.Substring(0, Small.Length / 2)), "truncated");
        }

        /// <summary>Real `facecast bake` output (JSON and CSV) for the test speech reads back with the
        /// documented frame count and timing, and the jaw moves with the words.</summary>
        [Test]
        public static void RealFacecastBakeFilesRead()
        {
            string speech = Env.Require(Env.Speech, "--speech");
            string dir = Path.Combine(Path.GetTempPath(), "facecast-unity-bake-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(dir);
            try
            {
                string json = Path.Combine(dir, "line.json"), csv = Path.Combine(dir, "line.csv");
                string script = Path.Combine(dir, "bake.py");
                File.WriteAllText(script,
                    "import sys\nfrom facecast.cli import main\n" +
                    "for out in sys.argv[2:]:\n    assert main(['bake', sys.argv[1], '-o', out, '--fps', '30', '--quiet']) == 0\n");
                using (var p = PeerProcess.Python(script + " " + speech + " " + json + " " + csv))
                    p.WaitExit(60000);
                double seconds = WavSeconds(speech);
                foreach (var path in new[] { json, csv })
                {
                    string ext = Path.GetExtension(path);
                    if (!File.Exists(path)) throw new AssertionException("facecast bake wrote no " + path);
                    var b = BakeFile.Load(path);
                    Assert.Near(30.0, b.Fps, 1e-6, ext + " fps");
                    Assert.Equal((int)Math.Ceiling(seconds * 30 - 1e-9), b.Frames.Count, ext + " frames = ceil(duration * fps)");
                    for (int i = 0; i < b.Frames.Count; i++) Assert.Near(i / 30.0, b.Frames[i].T, 1e-4, ext + " t of frame " + i);
                    float maxJaw = 0f, minJaw = 1f;
                    foreach (var f in b.Frames) { maxJaw = Math.Max(maxJaw, f["jawOpen"]); minJaw = Math.Min(minJaw, f["jawOpen"]); }
                    Assert.True(maxJaw - minJaw > 0.2f, ext + ": the jaw moves with the speech (" + minJaw + ".." + maxJaw + ")");
                    var m = new FaceMotion();
                    b.Sample(1.0, m);
                    Assert.Near(b.Frames[30]["jawOpen"], m["jawOpen"], 1e-5, ext + " sample on a frame");
                }
                Assert.Near(seconds, BakeFile.Load(json).Duration, 1.0 / 30 + 1e-3, "duration");
            }
            finally { Directory.Delete(dir, true); }
        }

        static double WavSeconds(string path)
        {
            var b = File.ReadAllBytes(path);
            int rate = BitConverter.ToInt32(b, 24), channels = BitConverter.ToInt16(b, 22);
            int pos = 12;
            while (pos + 8 <= b.Length)
            {
                int size = BitConverter.ToInt32(b, pos + 4);
                if (b[pos] == 'd' && b[pos + 1] == 'a' && b[pos + 2] == 't' && b[pos + 3] == 'a')
                    return Math.Min(size < 0 ? int.MaxValue : size, b.Length - pos - 8) / 2.0 / channels / rate;
                pos += 8 + size + (size & 1);
            }
            throw new AssertionException("no data chunk in " + path);
        }
    }
}
