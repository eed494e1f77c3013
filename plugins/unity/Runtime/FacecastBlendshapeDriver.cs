using System.Collections.Generic;
using UnityEngine;

namespace Facecast
{
    /// <summary>Drives a SkinnedMeshRenderer's blendshapes from a motion source (live client or baked
    /// player) through a blendshape map. The map is resolved against the mesh's shape names once;
    /// each LateUpdate evaluates it into a preallocated array and sets only the mapped shapes.</summary>
    [AddComponentMenu("Facecast/Facecast Blendshape Driver")]
    public sealed class FacecastBlendshapeDriver : MonoBehaviour
    {
        public FacecastMotionSource source;
        public SkinnedMeshRenderer target;
        [Tooltip("Empty: the ARKit preset.")]
        public FacecastBlendshapeMap map;
        [Tooltip("Weight at full activation (Unity blendshapes run 0..100).")]
        public float weightScale = 100f;
        [Tooltip("Smoothing time constant in seconds (0: none).")]
        [Range(0f, 0.3f)] public float smoothing;
        [Tooltip("Log the map's lines that this mesh cannot take (once).")]
        public bool logMissingShapes = true;

        BlendshapeMapping _mapping;
        float[] _goal;
        float[] _current;
        long _seenVersion = -1;
        Mesh _mesh;
        FacecastBlendshapeMap _builtFrom;
        FacecastBlendshapeMap _defaultMap;

        /// <summary>The resolved mapping (null before the first update or without a mesh).</summary>
        public BlendshapeMapping Mapping { get { return _mapping; } }

        void Reset()
        {
            target = GetComponentInChildren<SkinnedMeshRenderer>();
            source = GetComponentInParent<FacecastMotionSource>();
        }

        /// <summary>Re-resolves the map (call after editing the map or swapping the mesh at run time).</summary>
        public void Rebuild()
        {
            _mapping = null;
            _mesh = null;
            if (target == null || target.sharedMesh == null) return;
            _mesh = target.sharedMesh;
            var names = new List<string>(_mesh.blendShapeCount);
            for (int i = 0; i < _mesh.blendShapeCount; i++) names.Add(_mesh.GetBlendShapeName(i));
            FacecastBlendshapeMap m = map;
            if (m == null)
            {
                if (_defaultMap == null) _defaultMap = FacecastBlendshapeMap.FromPreset(BlendshapePreset.Arkit);
                m = _defaultMap;
            }
            _builtFrom = map;
            _mapping = new BlendshapeMapping(m.bindings, names);
            _goal = new float[names.Count];
            _current = new float[names.Count];
            for (int i = 0; i < names.Count; i++) _current[i] = _goal[i] = target.GetBlendShapeWeight(i);
            if (logMissingShapes && _mapping.Problems.Count > 0)
                Debug.LogWarning("[facecast] " + name + ": " + _mapping.Count + " blendshapes mapped; skipped " + _mapping.Problems.Count +
                    " line(s) of the map, e.g. " + _mapping.Problems[0], this);
            if (_mapping.Count == 0)
                Debug.LogWarning("[facecast] " + name + ": no line of the map matches a blendshape of " + _mesh.name + "; pick the preset that matches your model's shape names", this);
            _seenVersion = -1;
        }

        void LateUpdate()
        {
            if (source == null || target == null) return;
            if (_mapping == null || target.sharedMesh != _mesh || map != _builtFrom) Rebuild();
            if (_mapping == null) return;
            long v = source.MotionVersion;
            bool fresh = v != _seenVersion;
            if (fresh)
            {
                _mapping.Evaluate(source.Motion, _goal, weightScale);
                _seenVersion = v;
            }
            else if (smoothing <= 0f) return;
            Apply(HeadPose.SmoothingFactor(Time.deltaTime, smoothing));
        }

        void Apply(float k)
        {
            int[] shapes = _mapping.Shapes;
            for (int i = 0; i < shapes.Length; i++)
            {
                int s = shapes[i];
                float w = _current[s] + (_goal[s] - _current[s]) * k;
                if (w != _current[s] || k >= 1f)
                {
                    _current[s] = w;
                    target.SetBlendShapeWeight(s, w);
                }
            }
        }

        void OnDestroy()
        {
            if (_defaultMap != null) Destroy(_defaultMap);
        }
    }
}
