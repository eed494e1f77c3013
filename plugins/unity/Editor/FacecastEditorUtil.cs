using System.Collections.Generic;
using UnityEngine;

namespace Facecast.Editor
{
    static class FacecastEditorUtil
    {
        /// <summary>The preset whose targets match most of the mesh's blendshape names.</summary>
        public static BlendshapePreset BestPreset(Mesh mesh)
        {
            var names = new List<string>(mesh.blendShapeCount);
            for (int i = 0; i < mesh.blendShapeCount; i++) names.Add(mesh.GetBlendShapeName(i));
            BlendshapePreset best = BlendshapePreset.Arkit;
            int bestCount = -1;
            foreach (BlendshapePreset p in System.Enum.GetValues(typeof(BlendshapePreset)))
            {
                int n = new BlendshapeMapping(BlendshapeMapping.Preset(p), names).Count;
                if (n > bestCount) { best = p; bestCount = n; }
            }
            return best;
        }
    }
}
