using UnityEditor;
using UnityEngine;

namespace Facecast.Editor
{
    /// <summary>Driver settings, how many of the map's lines found a shape on this mesh (and which did
    /// not), and a button that makes a map asset from the preset that fits the mesh best.</summary>
    [CustomEditor(typeof(FacecastBlendshapeDriver))]
    public sealed class FacecastBlendshapeDriverEditor : UnityEditor.Editor
    {
        public override void OnInspectorGUI()
        {
            DrawDefaultInspector();
            var d = (FacecastBlendshapeDriver)target;
            if (d.target == null || d.target.sharedMesh == null)
            {
                EditorGUILayout.HelpBox("Assign the SkinnedMeshRenderer of the face.", MessageType.Warning);
                return;
            }
            var mesh = d.target.sharedMesh;
            EditorGUILayout.LabelField("Mesh blendshapes", mesh.blendShapeCount.ToString());
            if (d.Mapping != null)
            {
                EditorGUILayout.LabelField("Mapped", d.Mapping.Count + " line(s), " + d.Mapping.Problems.Count + " skipped");
                foreach (var p in d.Mapping.Problems) EditorGUILayout.LabelField(" ", p, EditorStyles.miniLabel);
            }
            if (d.map == null && GUILayout.Button("Create a map from the best-fitting preset"))
            {
                var preset = FacecastEditorUtil.BestPreset(mesh);
                var map = FacecastBlendshapeMap.FromPreset(preset);
                string safe = string.Join("_", mesh.name.Split(System.IO.Path.GetInvalidFileNameChars()));
                string path = AssetDatabase.GenerateUniqueAssetPath("Assets/" + safe + " " + preset + " Map.asset");
                AssetDatabase.CreateAsset(map, path);
                Undo.RecordObject(d, "Assign blendshape map");
                d.map = map;
                EditorUtility.SetDirty(d);
                d.Rebuild();
            }
        }
    }
}
