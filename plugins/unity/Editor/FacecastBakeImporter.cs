using System.IO;
using UnityEditor;
using UnityEditor.AssetImporters;
using UnityEngine;

namespace Facecast.Editor
{
    /// <summary>Imports `facecast bake` output as a FacecastBakedClip (curves). Files named *.facecast
    /// import directly; .json and .csv bake files (which Unity imports as text) are converted with
    /// Assets > Facecast > Convert Bake File to Clip.</summary>
    [ScriptedImporter(1, "facecast")]
    public sealed class FacecastBakeImporter : ScriptedImporter
    {
        public override void OnImportAsset(AssetImportContext ctx)
        {
            BakeFile bake;
            try { bake = BakeFile.Parse(File.ReadAllText(ctx.assetPath), Path.GetFileName(ctx.assetPath)); }
            catch (System.FormatException e)
            {
                ctx.LogImportError(e.Message, null);
                return;
            }
            var clip = FacecastBakedClip.FromBake(bake);
            clip.name = Path.GetFileNameWithoutExtension(ctx.assetPath);
            ctx.AddObjectToAsset("clip", clip);
            ctx.SetMainObject(clip);
        }

        const string Menu = "Assets/Facecast/Convert Bake File to Clip";

        [MenuItem(Menu)]
        static void Convert()
        {
            foreach (var obj in Selection.objects)
            {
                string path = AssetDatabase.GetAssetPath(obj);
                if (!IsBakeText(path)) continue;
                string outPath = ConvertFile(path);
                Debug.Log("[facecast] " + path + " -> " + outPath);
            }
        }

        [MenuItem(Menu, true)]
        static bool CanConvert()
        {
            foreach (var obj in Selection.objects)
                if (IsBakeText(AssetDatabase.GetAssetPath(obj))) return true;
            return false;
        }

        static bool IsBakeText(string path)
        {
            string ext = Path.GetExtension(path).ToLowerInvariant();
            return ext == ".json" || ext == ".csv";
        }

        /// <summary>Converts one .json/.csv bake file under Assets to a clip asset next to it and
        /// returns the new asset's path. Throws FormatException naming what is wrong with the file.</summary>
        public static string ConvertFile(string assetPath)
        {
            var bake = BakeFile.Parse(File.ReadAllText(assetPath), Path.GetFileName(assetPath));
            var clip = FacecastBakedClip.FromBake(bake);
            string outPath = AssetDatabase.GenerateUniqueAssetPath(Path.ChangeExtension(assetPath, null) + " (facecast).asset");
            AssetDatabase.CreateAsset(clip, outPath);
            AssetDatabase.SaveAssets();
            return outPath;
        }
    }
}
