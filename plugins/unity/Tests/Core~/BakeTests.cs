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

        /// <summary>A real bake file from `facecast bake` (written by the test harness when available).</summary>
        [Test]
        public static void RealBakeFilesFromTheRuntimeRead()
        {
            if (Env.Repo == null) throw new AssertionException("needs --repo");
            string dir = Path.Combine(Path.GetTempPath(), "facecast-unity-bake-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(dir);
            try
            {
                string script = Path.Combine(dir, "write.py");
                File.WriteAllText(script,
                    "import sys\nimport numpy as np\nfrom facecast.runtime.bake_format import write_bake\n" +
                    "from facecast.runtime.facemotion import FaceMotion, Emotion\n" +
                    "frames = []\nfor i in range(50):\n    m = FaceMotion(t=i / 25)\n    m.set('jawOpen', i / 49)\n    m.head.yaw = i * 0.5\n" +
                    "    m.emotion = Emotion('sad', 0.25)\n    frames.append(m)\n" +
                    "for ext in ('json', 'csv'):\n    write_bake(sys.argv[1] + '/line.' + ext, frames, 25.0, {'source': 'test'})\n");
                using (var p = PeerProcess.Python(script + " " + dir)) { }
                foreach (var ext in new[] { "json", "csv" })
                {
                    string path = Path.Combine(dir, "line." + ext);
                    if (!File.Exists(path)) throw new AssertionException("the runtime wrote no " + path);
                    var b = BakeFile.Load(path);
                    Assert.Equal(50, b.Frames.Count, ext + " frames");
                    Assert.Near(25.0, b.Fps, 1e-6, ext + " fps");
                    Assert.Near(1.0, b.Frames[49]["jawOpen"], 1e-5, ext + " last jaw");
                    Assert.Near(24.5, b.Frames[49].HeadYaw, 1e-4, ext + " last yaw");
                    Assert.Equal("sad", b.Frames[10].EmotionLabel, ext + " emotion");
                    Assert.Equal(1f, b.Frames[0].Visemes[0], ext + " silence viseme");
                    var m = new FaceMotion();
                    b.Sample(1.0, m);
                    Assert.Near(25.0 / 49, m["jawOpen"], 1e-4, ext + " sample at 1 s");
                }
            }
            finally { Directory.Delete(dir, true); }
        }
    }
}
