using System.IO;
using NUnit.Framework;
using UnityEditor;
using UnityEngine;

namespace Facecast.Tests
{
    public sealed class FacecastEditorTests
    {
        const string Bake = "{\"format\": \"facecast-motion\", \"version\": 1, \"fps\": 25, \"frames\": [" +
            "{\"t\":0.0,\"blendshapes\":{\"jawOpen\":0.0},\"head\":{\"yaw\":0},\"emotion\":{\"label\":\"happy\",\"intensity\":0.5}}," +
            "{\"t\":0.04,\"blendshapes\":{\"jawOpen\":1.0},\"head\":{\"yaw\":8},\"emotion\":{\"label\":\"happy\",\"intensity\":0.5}}], \"frame_count\": 2}";

        [Test]
        public void PresetsFillTheMapAsset()
        {
            var map = FacecastBlendshapeMap.FromPreset(BlendshapePreset.Arkit);
            Assert.AreEqual(52, map.bindings.Count);
            map.ApplyPreset(BlendshapePreset.OculusVisemes, append: true);
            Assert.AreEqual(52 + 15, map.bindings.Count);
            map.ApplyPreset(BlendshapePreset.Vrm0);
            Assert.AreEqual("A", map.bindings[0].Target);
            Object.DestroyImmediate(map);
        }

        [Test]
        public void BakedClipCurvesInterpolateLinearly()
        {
            var clip = FacecastBakedClip.FromBake(BakeFile.Parse(Bake));
            var m = new FaceMotion();
            clip.Evaluate(0.02f, m);
            Assert.AreEqual(0.5f, m["jawOpen"], 1e-3f);
            Assert.AreEqual(4f, m.HeadYaw, 1e-3f);
            Assert.AreEqual("happy", m.EmotionLabel);
            Assert.AreEqual(0.08f, clip.duration, 1e-4f, "two frames at 25 fps last 80 ms");
            Object.DestroyImmediate(clip);
        }

        [Test]
        public void ConvertingABakeJsonMakesAClipAsset()
        {
            string dir = "Assets/FacecastTestTmp";
            Directory.CreateDirectory(dir);
            string json = dir + "/line.json";
            File.WriteAllText(json, Bake);
            AssetDatabase.ImportAsset(json);
            try
            {
                string outPath = Facecast.Editor.FacecastBakeImporter.ConvertFile(json);
                var clip = AssetDatabase.LoadAssetAtPath<FacecastBakedClip>(outPath);
                Assert.NotNull(clip);
                Assert.AreEqual(25f, clip.fps);
                Assert.Greater(clip.channels.Count, 52);
            }
            finally
            {
                AssetDatabase.DeleteAsset(dir);
            }
        }

        [Test]
        public void BrokenBakeFilesSayWhatIsWrong()
        {
            var e = Assert.Throws<System.FormatException>(() => BakeFile.Parse("{\"fps\": 25, \"frames\": []}", "line.json"));
            StringAssert.Contains("line.json", e.Message);
            StringAssert.Contains("not a facecast bake file", e.Message);
        }
    }
}
