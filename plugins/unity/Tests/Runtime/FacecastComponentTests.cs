using System.Collections;
using System.Collections.Generic;
using NUnit.Framework;
using UnityEngine;
using UnityEngine.TestTools;
using UnityEngine.UI;

namespace Facecast.Tests
{
    /// <summary>A motion source the tests set by hand.</summary>
    public sealed class ManualMotionSource : FacecastMotionSource
    {
        readonly FaceMotion _motion = new FaceMotion();
        long _version;

        public override FaceMotion Motion { get { return _motion; } }
        public override long MotionVersion { get { return _version; } }

        public void Changed() { _version++; RaiseMotionUpdated(); }
    }

    public sealed class FacecastComponentTests
    {
        readonly List<Object> _made = new List<Object>();

        [TearDown]
        public void CleanUp()
        {
            foreach (var o in _made) if (o != null) Object.DestroyImmediate(o);
            _made.Clear();
        }

        T Keep<T>(T o) where T : Object { _made.Add(o); return o; }

        Mesh MeshWithShapes(params string[] names)
        {
            var mesh = Keep(new Mesh());
            var verts = new[] { Vector3.zero, Vector3.right, Vector3.up };
            mesh.vertices = verts;
            mesh.triangles = new[] { 0, 1, 2 };
            var delta = new[] { Vector3.forward, Vector3.forward, Vector3.forward };
            foreach (var n in names) mesh.AddBlendShapeFrame(n, 100f, delta, null, null);
            return mesh;
        }

        [UnityTest]
        public IEnumerator BlendshapeDriverSetsArkitWeightsFromTheMotion()
        {
            var go = Keep(new GameObject("npc"));
            var source = go.AddComponent<ManualMotionSource>();
            var smr = go.AddComponent<SkinnedMeshRenderer>();
            smr.sharedMesh = MeshWithShapes("blendShape1.jawOpen", "EyeBlinkLeft", "unrelated");
            var driver = go.AddComponent<FacecastBlendshapeDriver>();
            driver.source = source;
            driver.target = smr;
            driver.logMissingShapes = false;
            source.Motion["jawOpen"] = 0.5f;
            source.Motion["eyeBlinkLeft"] = 1f;
            source.Changed();
            yield return null;
            Assert.AreEqual(50f, smr.GetBlendShapeWeight(0), 1e-3f, "jawOpen under an exporter prefix");
            Assert.AreEqual(100f, smr.GetBlendShapeWeight(1), 1e-3f, "PascalCase eyeBlinkLeft");
            Assert.AreEqual(0f, smr.GetBlendShapeWeight(2), "unmapped shape untouched");
            Assert.AreEqual(2, driver.Mapping.Count);
        }

        [UnityTest]
        public IEnumerator VisemeMapWithGainDrivesReadyPlayerMeNames()
        {
            var go = Keep(new GameObject("npc"));
            var source = go.AddComponent<ManualMotionSource>();
            var smr = go.AddComponent<SkinnedMeshRenderer>();
            smr.sharedMesh = MeshWithShapes("viseme_aa", "viseme_PP");
            var map = Keep(FacecastBlendshapeMap.FromPreset(BlendshapePreset.OculusVisemes));
            map.bindings.Find(b => b.Target == "viseme_aa").Gain = 2f;
            var driver = go.AddComponent<FacecastBlendshapeDriver>();
            driver.source = source; driver.target = smr; driver.map = map; driver.logMissingShapes = false;
            source.Motion.Visemes[FacecastNames.VisemeIndex("aa")] = 0.3f;
            source.Motion.Visemes[FacecastNames.VisemeIndex("PP")] = 0.8f;
            source.Changed();
            yield return null;
            Assert.AreEqual(60f, smr.GetBlendShapeWeight(0), 1e-3f, "gain 2");
            Assert.AreEqual(80f, smr.GetBlendShapeWeight(1), 1e-3f);
        }

        [UnityTest]
        public IEnumerator ManyNpcsEachFollowTheirOwnSource()
        {
            const int n = 50;
            var mesh = MeshWithShapes("jawOpen");
            var sources = new ManualMotionSource[n];
            var renderers = new SkinnedMeshRenderer[n];
            for (int i = 0; i < n; i++)
            {
                var go = Keep(new GameObject("npc " + i));
                sources[i] = go.AddComponent<ManualMotionSource>();
                renderers[i] = go.AddComponent<SkinnedMeshRenderer>();
                renderers[i].sharedMesh = mesh;
                var d = go.AddComponent<FacecastBlendshapeDriver>();
                d.source = sources[i]; d.target = renderers[i]; d.logMissingShapes = false;
                sources[i].Motion["jawOpen"] = i / (float)n;
                sources[i].Changed();
            }
            yield return null;
            for (int i = 0; i < n; i++) Assert.AreEqual(100f * i / n, renderers[i].GetBlendShapeWeight(0), 1e-3f, "npc " + i);
        }

        [UnityTest]
        public IEnumerator BoneDriverTurnsTheHeadTheDocumentedWay()
        {
            var root = Keep(new GameObject("character"));
            var head = new GameObject("head").transform;
            head.SetParent(root.transform, false);
            var source = root.AddComponent<ManualMotionSource>();
            var d = root.AddComponent<FacecastBoneDriver>();
            d.source = source; d.characterRoot = root.transform; d.head = head; d.smoothing = 0f; d.neck = null;
            yield return null;
            source.Motion.HeadYaw = 30f; // toward the viewer's right = the character's left (-x)
            source.Changed();
            yield return null;
            Vector3 nose = head.rotation * Vector3.forward;
            Assert.Less(nose.x, -0.4f, "the face turned to the character's left");
            source.Motion.HeadYaw = 0f; source.Motion.HeadPitch = 20f; // chin up
            source.Changed();
            yield return null;
            nose = head.rotation * Vector3.forward;
            Assert.Greater(nose.y, 0.3f, "the nose points up");
        }

        [UnityTest]
        public IEnumerator BakedPlayerDrivesTheSameRigWithoutARuntime()
        {
            const string bake = "{\"format\": \"facecast-motion\", \"version\": 1, \"fps\": 10, \"frames\": [" +
                "{\"t\":0.0,\"blendshapes\":{\"jawOpen\":0.8}}, {\"t\":0.1,\"blendshapes\":{\"jawOpen\":0.8}}," +
                "{\"t\":0.2,\"blendshapes\":{\"jawOpen\":0.8}}, {\"t\":0.3,\"blendshapes\":{\"jawOpen\":0.8}}]}";
            var clip = Keep(FacecastBakedClip.FromBake(BakeFile.Parse(bake)));
            var go = Keep(new GameObject("baked npc"));
            go.SetActive(false);
            var player = go.AddComponent<FacecastBakedPlayer>();
            player.clip = clip;
            player.loop = true;
            var smr = go.AddComponent<SkinnedMeshRenderer>();
            smr.sharedMesh = MeshWithShapes("jawOpen");
            var driver = go.AddComponent<FacecastBlendshapeDriver>();
            driver.source = player; driver.target = smr; driver.logMissingShapes = false;
            go.SetActive(true);
            yield return null;
            yield return null;
            Assert.IsTrue(player.IsPlaying);
            Assert.AreEqual(80f, smr.GetBlendShapeWeight(0), 1e-2f, "the baked jaw curve drives the mesh");
        }

        [Test]
        public void FaceTextureUploadsAFrameWithoutReallocating()
        {
            var go = Keep(new GameObject("face", typeof(RectTransform)));
            var image = go.AddComponent<RawImage>();
            var ft = go.AddComponent<FacecastFaceTexture>();
            ft.rawImage = image;
            var slot = new FrameSlot { Width = 4, Height = 2, Format = PixelFormat.Rgba, Seq = 3, Pts = 0.12, BottomUp = true, Pixels = new byte[32] };
            for (int i = 0; i < 32; i += 4) { slot.Pixels[i] = 255; slot.Pixels[i + 3] = 255; }
            slot.Pixels[4 * 5 + 1] = 200; // pixel (1, 1) in bottom-up order: the top row
            ft.Show(slot);
            var tex = ft.Texture;
            Assert.NotNull(tex);
            Assert.AreSame(tex, image.texture);
            Assert.AreEqual(4, tex.width);
            Color32 c = tex.GetPixel(1, 1);
            Assert.AreEqual(255, c.r);
            Assert.AreEqual(200, c.g);
            ft.Show(slot);
            Assert.AreSame(tex, ft.Texture, "same size: the texture is reused");
            Assert.AreEqual(2, ft.FramesShown);
        }
    }
}
