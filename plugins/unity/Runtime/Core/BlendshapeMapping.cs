using System;
using System.Collections.Generic;

namespace Facecast
{
    /// <summary>One line of a blendshape map: read Source from the motion, scale by Gain, remap
    /// [InMin, InMax] to [OutMin, OutMax] (clamped), add into the mesh shape named Target.</summary>
    [Serializable]
    public sealed class BlendshapeBinding
    {
        public string Source = "jawOpen";
        public string Target = "jawOpen";
        public float Gain = 1f;
        public float InMin = 0f, InMax = 1f;
        public float OutMin = 0f, OutMax = 1f;

        public BlendshapeBinding() { }

        public BlendshapeBinding(string source, string target, float gain = 1f)
        {
            Source = source;
            Target = target;
            Gain = gain;
        }

        public float Apply(float value)
        {
            float v = value * Gain;
            float span = InMax - InMin;
            float t = span != 0f ? (v - InMin) / span : (v >= InMax ? 1f : 0f);
            if (t < 0f) t = 0f; else if (t > 1f) t = 1f;
            return OutMin + t * (OutMax - OutMin);
        }
    }

    public enum BlendshapePreset
    {
        /// <summary>The 52 ARKit shapes onto meshes that name them (any spelling: jawOpen, JawOpen, jawOpen_L...).</summary>
        Arkit,
        /// <summary>The 15 Oculus visemes onto shapes named viseme_sil, viseme_PP ... (Ready Player Me, Oculus Lipsync).</summary>
        OculusVisemes,
        /// <summary>VRM 1.0 expression names (aa ih ou ee oh blink happy ...).</summary>
        Vrm,
        /// <summary>VRM 0.x names (A I U E O Blink Joy ...).</summary>
        Vrm0,
    }

    /// <summary>Resolves a list of bindings against a mesh's blendshape names once, then turns each
    /// FaceMotion into mesh weights without allocating. Engine-free so it is tested outside Unity.</summary>
    public sealed class BlendshapeMapping
    {
        readonly MotionSource[] _sources;
        readonly BlendshapeBinding[] _bindings;
        readonly int[] _shape;
        readonly int[] _unique;
        readonly List<string> _problems = new List<string>();

        public BlendshapeMapping(IList<BlendshapeBinding> bindings, IList<string> meshShapeNames)
        {
            var src = new List<MotionSource>();
            var bind = new List<BlendshapeBinding>();
            var shape = new List<int>();
            foreach (var b in bindings)
            {
                if (b == null) continue;
                MotionSource s;
                string error;
                if (!MotionSource.TryParse(b.Source, out s, out error)) { _problems.Add(error); continue; }
                int idx = FindShape(meshShapeNames, b.Target);
                if (idx < 0) { _problems.Add("the mesh has no blendshape '" + b.Target + "' (for " + b.Source + ")"); continue; }
                src.Add(s);
                bind.Add(b);
                shape.Add(idx);
            }
            _sources = src.ToArray();
            _bindings = bind.ToArray();
            _shape = shape.ToArray();
            var unique = new List<int>();
            foreach (int k in _shape) if (!unique.Contains(k)) unique.Add(k);
            _unique = unique.ToArray();
        }

        /// <summary>Bindings that found their source and their mesh shape.</summary>
        public int Count { get { return _shape.Length; } }
        public int ShapeIndex(int binding) { return _shape[binding]; }
        /// <summary>Why bindings were left out (unknown source, shape missing on this mesh).</summary>
        public IList<string> Problems { get { return _problems; } }

        /// <summary>Writes weights for the mapped shapes into `weights` (indexed by mesh shape; other
        /// entries untouched): the sum of each shape's bindings, clamped to 0..1, times scale (Unity
        /// blendshape weights run 0..100).</summary>
        public void Evaluate(FaceMotion m, float[] weights, float scale)
        {
            for (int i = 0; i < _unique.Length; i++) weights[_unique[i]] = 0f;
            for (int i = 0; i < _shape.Length; i++) weights[_shape[i]] += _bindings[i].Apply(_sources[i].Evaluate(m));
            for (int i = 0; i < _unique.Length; i++)
            {
                int k = _unique[i];
                float w = weights[k];
                weights[k] = (w < 0f ? 0f : w > 1f ? 1f : w) * scale;
            }
        }

        /// <summary>The distinct mesh shapes this mapping writes.</summary>
        public int[] Shapes { get { return _unique; } }

        /// <summary>The mesh shape a target name means: exact, then ignoring case, then ignoring an
        /// exporter's prefix ("blendShape1.jawOpen", "Face.jawOpen"), then any ARKit spelling of the
        /// same shape (JawOpen, eyeBlink_L). -1 when none.</summary>
        public static int FindShape(IList<string> names, string target)
        {
            if (string.IsNullOrEmpty(target)) return -1;
            for (int i = 0; i < names.Count; i++) if (names[i] == target) return i;
            for (int i = 0; i < names.Count; i++) if (string.Equals(names[i], target, StringComparison.OrdinalIgnoreCase)) return i;
            for (int i = 0; i < names.Count; i++) if (string.Equals(Suffix(names[i]), target, StringComparison.OrdinalIgnoreCase)) return i;
            string canon = FacecastNames.TryCanonical(target);
            if (canon == null) return -1;
            for (int i = 0; i < names.Count; i++)
            {
                string c = FacecastNames.TryCanonical(Suffix(names[i]));
                if (c == canon) return i;
            }
            return -1;
        }

        static string Suffix(string name)
        {
            int dot = name.LastIndexOf('.');
            return dot >= 0 ? name.Substring(dot + 1) : name;
        }

        /// <summary>The bindings of a preset (gain 1, identity remap), for a map asset to start from.</summary>
        public static List<BlendshapeBinding> Preset(BlendshapePreset preset)
        {
            var list = new List<BlendshapeBinding>();
            switch (preset)
            {
                case BlendshapePreset.Arkit:
                    foreach (var n in FacecastNames.Arkit) list.Add(new BlendshapeBinding(n, n));
                    break;
                case BlendshapePreset.OculusVisemes:
                    foreach (var v in FacecastNames.Visemes) list.Add(new BlendshapeBinding("viseme:" + v, "viseme_" + v));
                    break;
                case BlendshapePreset.Vrm:
                    foreach (var p in FacecastNames.VrmPresets) list.Add(new BlendshapeBinding("vrm:" + p.Name, p.Name));
                    break;
                case BlendshapePreset.Vrm0:
                    foreach (var p in FacecastNames.VrmPresets) list.Add(new BlendshapeBinding("vrm:" + p.Name, p.Vrm0Name));
                    break;
            }
            return list;
        }
    }
}
